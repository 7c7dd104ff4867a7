/*
 * awscreds.h - AWS credentials, region and endpoints for the CloudWatch and
 * Pricing clients: the chain the AWS SDKs and CLI use, minus the providers
 * that need STS or a browser (see /work/shared/reference/cloudwatch.md,
 * sections 2.5 and 3).
 *
 * Credentials, first hit wins:
 *
 *   1. environment  AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (both or
 *                   neither), AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION
 *                   (RFC 3339).  Skipped when the options name a profile
 *                   (--profile); NOT skipped for AWS_PROFILE, as the CLI
 *                   does, so that `eval "$(aws configure export-credentials
 *                   --format env)"` works beside an SSO AWS_PROFILE.
 *   2. profile      options->profile, else AWS_PROFILE, else "default", from
 *                   the credentials file (AWS_SHARED_CREDENTIALS_FILE or
 *                   ~/.aws/credentials: [name]) merged over the config file
 *                   (AWS_CONFIG_FILE or ~/.aws/config: [default],
 *                   [profile name]); a credentials-file value wins key by
 *                   key.  aws_access_key_id, aws_secret_access_key,
 *                   aws_session_token.  A profile that uses SSO
 *                   (sso_session, sso_start_url), role_arn or
 *                   web_identity_token_file, or credential_process without
 *                   static keys, is an error that says what to do instead.
 *                   A profile named explicitly must exist.
 *      (env)        AWS_WEB_IDENTITY_TOKEN_FILE: unsupported, an error too.
 *   3. container    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (GET from
 *                   http://169.254.170.2 + it), else
 *                   AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or http to
 *                   127.0.0.0/8, localhost, [::1], 169.254.170.2,
 *                   169.254.170.23 or [fd00:ec2::23]); Authorization from
 *                   AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read at every
 *                   fetch; one trailing newline dropped) or
 *                   AWS_CONTAINER_AUTHORIZATION_TOKEN; CR/LF refused.
 *   4. instance     IMDSv2 unless AWS_EC2_METADATA_DISABLED=true: PUT
 *                   /latest/api/token (TTL 21600 s), GET the role name, GET
 *                   its credentials.  Endpoint AWS_EC2_METADATA_SERVICE_
 *                   ENDPOINT or the profile's ec2_metadata_service_endpoint,
 *                   else by _MODE (IPv4 http://169.254.169.254, IPv6
 *                   http://[fd00:ec2::254]).  Every request times out after
 *                   1 s.  When the PUT gets 403/404/405 or no answer, IMDSv1
 *                   (no token) is tried unless AWS_EC2_METADATA_V1_DISABLED
 *                   (or the profile's ec2_metadata_v1_disabled) is true;
 *                   after a PUT that got no answer the v1 requests get only
 *                   0.25 s, so an unreachable IMDS gives up in ~1.25 s.  A
 *                   400 to the PUT is final.  Once v1 has worked it is kept.
 *
 * Steps 1, 2 and the checks of 3 and 4 run in awscreds_new() (reading two
 * small local files); 3 and 4 fetch through the shared HTTP driver after
 * awscreds_start(), never blocking.  Containers use 3 or 4, never both.
 *
 * Region: options->region, AWS_REGION, AWS_DEFAULT_REGION, the profile's
 * region, then IMDS placement/region (asked only when none of those is set
 * and IMDS is not disabled); NULL when none.  IMDS instance-type and
 * instance-id are asked when the credentials come from IMDS or the options
 * want them.
 *
 * Endpoints (service "cloudwatch" or "pricing"): AWS_ENDPOINT_URL_CLOUDWATCH
 * / _PRICING, AWS_ENDPOINT_URL, the profile's `services = NAME` pointing to
 * a [services NAME] section with an indented `cloudwatch =` / `pricing =`
 * sub-section holding endpoint_url, the profile's endpoint_url; all of them
 * ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (or the profile's
 * ignore_configured_endpoint_urls) is true.  Defaults:
 * https://monitoring.REGION.amazonaws.com/ (.amazonaws.com.cn for cn-*) and
 * https://api.pricing.us-east-1.amazonaws.com/.
 *
 * File syntax (@smithy/core parseIni, made strict as botocore is): `#` or
 * `;` starts a comment at the start of a line or after white space; `key =
 * value`, trimmed; a key with an empty value opens a sub-section that the
 * following indented lines belong to; `~/` in the two path variables means
 * $HOME.  Keys are matched without regard to case.  A line that is neither
 * blank, a comment, a [section] nor `key = value`, a key before any section,
 * and an unclosed `[` are errors "PATH:LINE: ..." (never quoting the line:
 * it might hold a secret).
 *
 * Refresh: credentials with an expiry from the container or IMDS are fetched
 * again ahead of it (by 5 minutes, or half their lifetime when that is
 * shorter); the old ones are kept and handed out until the new ones arrive
 * or they expire.  A failed refresh is retried with http_backoff (15 s base)
 * but never later than half the remaining lifetime (at least 1 s apart).  A
 * failed first lookup is retried the same way.  Expired credentials are no
 * longer handed out (awscreds_get() returns NULL).
 *
 * Secrets: the secret key, the session token, the IMDS token and the
 * container authorization token never appear in any text this module
 * produces (status, errors); only the key id's last 4 characters do.  They
 * are wiped from this module's memory when replaced or freed (copies made
 * by libcurl and cJSON's parser are outside its reach; the JSON strings are
 * wiped before they are freed).
 *
 * Ownership: awscreds_new() returns an object owned by the caller, freed
 * with awscreds_free(), which cancels its requests.  It borrows the HTTP
 * driver, which must outlive it: free it in the owning source's stop()
 * (sources stop in the order they were added, and the http source comes
 * last).  This is not a source itself: the owner calls awscreds_tick() from
 * its tick() and folds the returned deadline into its own.  Pointers
 * returned by the getters point into the object and stay valid until
 * control returns to the loop (a refresh overwrites them in place).
 *
 * Listeners are called when credentials arrive or are replaced, when a
 * lookup fails, when they expire, and when an IMDS lookup of the region or
 * instance ends.  They run from the HTTP driver's callbacks or from
 * awscreds_tick(), never from awscreds_new()/awscreds_start(); there they
 * may read anything here and make HTTP requests, but must not free the
 * object, call awscreds_tick(), or add or remove listeners.
 *
 * Times: `now` is clock_now(); awscreds_value.expires is wall-clock Unix
 * time.  Nothing here prints anything.
 */
#ifndef PERWATT_AWSCREDS_H
#define PERWATT_AWSCREDS_H

#include <stdbool.h>
#include <stddef.h>

struct http;

#define AWSCREDS_AKID_MAX    128     /* longest key id, with NUL */
#define AWSCREDS_SECRET_MAX  128
#define AWSCREDS_TOKEN_MAX   8192    /* session tokens have no fixed size */
#define AWSCREDS_SOURCE_MAX  96
#define AWSCREDS_ERROR_MAX   768     /* longest error text, with NUL */
#define AWSCREDS_STATUS_MAX  1024    /* room for a whole status line */
#define AWSCREDS_URL_MAX     512

struct awscreds_value {
	char akid[AWSCREDS_AKID_MAX];       /* printable ASCII, no spaces */
	char secret[AWSCREDS_SECRET_MAX];
	char token[AWSCREDS_TOKEN_MAX];     /* "" when there is none */
	double expires;                     /* Unix time (wall clock); 0: never */
	char source[AWSCREDS_SOURCE_MAX];   /* "env", "profile NAME", "container",
	                                     * "instance role NAME" */
};

struct awscreds_options {
	const char *profile;    /* --profile: wins over AWS_PROFILE, skips env keys */
	const char *region;     /* --region: wins over everything */
	bool want_instance;     /* also ask IMDS for instance-type/-id */
};

enum awscreds_state {
	AWSCREDS_RESOLVING,     /* a fetch is on its way, none usable yet */
	AWSCREDS_READY,         /* awscreds_get() gives credentials */
	AWSCREDS_FAILED,        /* none usable; awscreds_error() says why */
};

struct awscreds;

typedef void (*awscreds_notify_fn)(void *user, struct awscreds *c);

/* Resolves what needs no network.  `h` may be NULL when no container or
 * IMDS lookup will be wanted (awscreds_start() then fails if one is);
 * `o` may be NULL.  NULL with a secret-free message in err (when errlen > 0)
 * on a configuration error: a malformed file, a missing profile, an
 * unsupported provider, partial keys, a bad URL or region, no credentials
 * anywhere (with IMDS disabled), or out of memory. */
struct awscreds *awscreds_new(struct http *h, const struct awscreds_options *o,
                              char *err, size_t errlen);

/* Starts the container/IMDS lookups, if any.  0, or -1 when one could not
 * start (awscreds_error() says why; the state is then AWSCREDS_FAILED and
 * the lookup is retried from awscreds_tick()).  Calls no listener. */
int awscreds_start(struct awscreds *c, double now);

/* Refreshes, retries, notices expiry; returns the next deadline (INFINITY
 * when none). */
double awscreds_tick(struct awscreds *c, double now);

void awscreds_free(struct awscreds *c);      /* NULL is fine; wipes secrets */

/* At most 8 listeners; -1 when full.  Removing an unknown one is a no-op. */
int awscreds_listen(struct awscreds *c, awscreds_notify_fn fn, void *user);
void awscreds_unlisten(struct awscreds *c, awscreds_notify_fn fn, void *user);

/* The current credentials, or NULL while resolving, after a failure or
 * once expired.  See "Ownership" for how long the pointer holds. */
const struct awscreds_value *awscreds_get(const struct awscreds *c);
enum awscreds_state awscreds_state(const struct awscreds *c);
/* true while any lookup (credentials, region, instance) is in flight */
bool awscreds_pending(const struct awscreds *c);

/* One line for the health display, e.g. "instance role web, key ...WXYZ,
 * expires in 58 min; region eu-west-3 (instance metadata)": free of
 * control characters and of any secret.  Written to buf, cut to fit
 * (AWSCREDS_STATUS_MAX is a good size); returns buf. */
const char *awscreds_status(const struct awscreds *c, char *buf, size_t n);
/* The last error (lookup or refresh), or NULL; same guarantees. */
const char *awscreds_error(const struct awscreds *c);

const char *awscreds_region(const struct awscreds *c);          /* NULL: unknown */
/* "--region", "AWS_REGION", "AWS_DEFAULT_REGION", "profile 'NAME'" or
 * "instance metadata"; NULL when there is no region */
const char *awscreds_region_source(const struct awscreds *c);
const char *awscreds_instance_type(const struct awscreds *c);   /* NULL: unknown */
/* Whether AWS_EC2_METADATA_DISABLED turns instance metadata off: "true" in
 * any case, blanks around it allowed, as the AWS SDKs read it. */
bool awscreds_imds_disabled(void);
const char *awscreds_instance_id(const struct awscreds *c);     /* NULL: unknown */

/* The base URL (ending in "/" when it has no path) for "cloudwatch" or
 * "pricing".  0, or -1 with the reason in buf (no region yet, unknown
 * service, too long). */
int awscreds_endpoint(const struct awscreds *c, const char *service, char *buf, size_t n);
/* Where that endpoint comes from: "AWS_ENDPOINT_URL_CLOUDWATCH",
 * "AWS_ENDPOINT_URL", "profile 'NAME', [services X] cloudwatch",
 * "profile 'NAME' endpoint_url" or "default"; NULL for an unknown service. */
const char *awscreds_endpoint_source(const struct awscreds *c, const char *service);
/* CURLOPT_AWS_SIGV4's parameter: "aws:amz:REGION:monitoring" or
 * "aws:amz:us-east-1:pricing".  0, or -1 with the reason in buf. */
int awscreds_sigv4(const struct awscreds *c, const char *service, char *buf, size_t n);

#endif
