/*
 * gateway/priv: looking up the unprivileged user and dropping to it for
 * good (see gw.h). Only called when the daemon was started as root.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gateway/gw.h"

#define GW_PW_BUFSZ 16384       /* getpwnam_r scratch space */

int
gw_priv_lookup(const char *name, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	char buf[GW_PW_BUFSZ];
	struct passwd pw, *res = NULL;
	int rc;

	if (name == NULL || name[0] == '\0') {
		snprintf(err, errlen, "no user given");
		return -1;
	}
	rc = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	if (res == NULL) {
		if (rc == 0 || rc == ENOENT || rc == ESRCH)
			snprintf(err, errlen, "user %s: no such user", name);
		else
			snprintf(err, errlen, "user %s: lookup failed: %s", name, strerror(rc));
		return -1;
	}
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

int
gw_priv_drop(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[2];
	int n;

	/* Groups first: once the uid is gone we may no longer change them. */
	if (setgroups(1, &gid) == -1) {
		snprintf(err, errlen, "setgroups(%ld): %s", (long)gid, strerror(errno));
		return -1;
	}
	if (setresgid(gid, gid, gid) == -1) {
		snprintf(err, errlen, "setgid(%ld): %s", (long)gid, strerror(errno));
		return -1;
	}
	if (setresuid(uid, uid, uid) == -1) {
		snprintf(err, errlen, "setuid(%ld): %s", (long)uid, strerror(errno));
		return -1;
	}
	/* Verify it stuck: every id is the user's, and root does not come back. */
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1 ||
	    ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid) {
		snprintf(err, errlen, "privilege drop to %ld:%ld did not take effect",
		    (long)uid, (long)gid);
		return -1;
	}
	n = getgroups(2, groups);
	if (n < 0 || n > 1 || (n == 1 && groups[0] != gid)) {
		snprintf(err, errlen, "supplementary groups remain after the privilege drop");
		return -1;
	}
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "root could be regained after the privilege drop");
		return -1;
	}
	return 0;
}
