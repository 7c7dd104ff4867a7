/*
 * sysfs.h - small files under /sys and /proc, read through a root prefix.
 *
 * The local sensor sources (rapl, hwmon, cpustat) read a handful of tiny
 * files every poll.  Each read is open/read/close: no stdio buffer survives
 * between polls (a sysfs attribute is regenerated on every open, and a
 * stdio stream left open would keep returning the first value).  Reads of
 * sysfs and procfs never block for long, so they are done on the loop.
 *
 * `root` is prepended to every path: "" for the real system, a directory
 * holding a fake tree for tests (PERWATT_SYSFS_ROOT).  Paths are given
 * without the root, e.g. "/sys/class/powercap/intel-rapl:0/energy_uj".
 *
 * Nothing here allocates, prints or keeps state, except the test hook.
 */
#ifndef PERWATT_SYSFS_H
#define PERWATT_SYSFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SYSFS_PATH_MAX 512

/* root + path into buf; 0, or -ENAMETOOLONG. */
int sysfs_path(char *buf, size_t n, const char *root, const char *path);

/* Reads up to n-1 bytes of root+path into buf, NUL-terminated, trailing
 * whitespace removed.  Returns the length, or -errno (-EACCES: not
 * readable; -ENOENT: gone; -EISDIR...). */
ssize_t sysfs_read(const char *root, const char *path, char *buf, size_t n);

/* One decimal integer (a sysfs attribute): 0, -errno, or -EINVAL when the
 * file does not hold exactly one number. */
int sysfs_read_u64(const char *root, const char *path, uint64_t *v);
int sysfs_read_i64(const char *root, const char *path, int64_t *v);

/* For tests only: when set, called with the full path before every open;
 * a nonzero return fails that open with that errno.  Lets a test running
 * as root (who may read a mode 0000 file) exercise the EACCES paths. */
extern int (*sysfs_fault_hook)(const char *fullpath);

#endif
