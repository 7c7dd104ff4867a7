/* sysfs.c - small sysfs/procfs files through a root prefix (sysfs.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetch/sysfs.h"

int (*sysfs_fault_hook)(const char *fullpath);

int sysfs_path(char *buf, size_t n, const char *root, const char *path)
{
	int k = snprintf(buf, n, "%s%s", root ? root : "", path);
	return k < 0 || (size_t)k >= n ? -ENAMETOOLONG : 0;
}

ssize_t sysfs_read(const char *root, const char *path, char *buf, size_t n)
{
	char full[SYSFS_PATH_MAX];
	if (n == 0)
		return -EINVAL;
	buf[0] = '\0';
	int r = sysfs_path(full, sizeof full, root, path);
	if (r < 0)
		return r;
	if (sysfs_fault_hook) {
		int e = sysfs_fault_hook(full);
		if (e)
			return -e;
	}
	int fd = open(full, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	size_t len = 0;
	while (len + 1 < n) {
		ssize_t k = read(fd, buf + len, n - 1 - len);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			buf[0] = '\0';
			return -e;
		}
		if (k == 0)
			break;
		len += (size_t)k;
	}
	close(fd);
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		len--;
	buf[len] = '\0';
	return (ssize_t)len;
}

int sysfs_read_u64(const char *root, const char *path, uint64_t *v)
{
	char buf[64], *end;
	ssize_t r = sysfs_read(root, path, buf, sizeof buf);
	if (r < 0)
		return (int)r;
	if (!isdigit((unsigned char)buf[0]))
		return -EINVAL;
	errno = 0;
	uintmax_t x = strtoumax(buf, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*v = (uint64_t)x;
	return 0;
}

int sysfs_read_i64(const char *root, const char *path, int64_t *v)
{
	char buf[64], *end;
	ssize_t r = sysfs_read(root, path, buf, sizeof buf);
	if (r < 0)
		return (int)r;
	if (!isdigit((unsigned char)buf[0]) && !(buf[0] == '-' && isdigit((unsigned char)buf[1])))
		return -EINVAL;
	errno = 0;
	intmax_t x = strtoimax(buf, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*v = (int64_t)x;
	return 0;
}
