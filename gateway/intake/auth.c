/*
 * gateway/intake/auth: who may authenticate on the offramp listener: the
 * users of "mta receive auth" and "mta receive auth-file", and the check of
 * an AUTH attempt against them, throttled per client address and user name
 * (the table is in throttle.c). Which clients must authenticate is
 * decided in intake.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "config/config.h"
#include "gateway/intake/intake_int.h"
#include "util/log.h"
#include "smtp/smtp.h"

#define INTAKE_AUTH_USERS_MAX   1024    /* users in an auth file */

/*
 * Users: every "mta receive auth USER PASSWORD", then the auth file, one
 * "USER PASSWORD" per line ('#' comments and blank lines skipped).
 */
int
intake_auth_users_load(const struct config *cfg, struct intake_user **users, size_t *n,
    char *err, size_t errlen)
{
	const typeof(cfg->mta_receive) *mr = &cfg->mta_receive;
	struct intake_user *u;
	char line[1024], *user, *pass, *save;
	size_t i, cap = mr->n_users + 16, lineno = 0;
	FILE *f = NULL;

	*users = NULL;
	*n = 0;
	if ((u = calloc(cap, sizeof(*u))) == NULL)
		goto nomem;
	for (i = 0; i < mr->n_users; i++) {
		if ((u[*n].user = strdup(mr->users[i].user)) == NULL ||
		    (u[*n].password = strdup(mr->users[i].password)) == NULL)
			goto nomem_free;
		(*n)++;
	}
	if (mr->auth_file[0] != '\0') {
		if ((f = fopen(mr->auth_file, "r")) == NULL) {
			snprintf(err, errlen, "mta receive auth-file %s: %s", mr->auth_file,
			    strerror(errno));
			intake_auth_users_free(u, *n);
			*n = 0;
			return -1;
		}
		while (fgets(line, sizeof(line), f) != NULL) {
			lineno++;
			if ((user = strtok_r(line, " \t\r\n", &save)) == NULL || user[0] == '#')
				continue;
			pass = strtok_r(NULL, " \t\r\n", &save);
			if (pass == NULL || strtok_r(NULL, " \t\r\n", &save) != NULL ||
			    *n >= INTAKE_AUTH_USERS_MAX) {
				snprintf(err, errlen, "%s:%zu: expected USER PASSWORD", mr->auth_file,
				    lineno);
				fclose(f);
				intake_auth_users_free(u, *n);
				*n = 0;
				return -1;
			}
			if (*n == cap) {
				struct intake_user *nu = reallocarray(u, cap * 2, sizeof(*u));

				if (nu == NULL)
					goto nomem_free;
				u = nu;
				cap *= 2;
			}
			if ((u[*n].user = strdup(user)) == NULL ||
			    (u[*n].password = strdup(pass)) == NULL)
				goto nomem_free;
			(*n)++;
		}
		explicit_bzero(line, sizeof(line));
		fclose(f);
		f = NULL;
	}
	*users = u;
	return 0;
nomem_free:
	if (f != NULL)
		fclose(f);
	if (u != NULL)
		free(u[*n].user);
	intake_auth_users_free(u, *n);
	*n = 0;
nomem:
	snprintf(err, errlen, "mta receive auth: out of memory");
	return -1;
}

void
intake_auth_users_free(struct intake_user *users, size_t n)
{
	size_t i;

	if (users == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(users[i].user);
		if (users[i].password != NULL)
			explicit_bzero(users[i].password, strlen(users[i].password));
		free(users[i].password);
	}
	free(users);
}

/*
 * AUTH: a locked address is refused before its credentials are looked at
 * (1: 454 4.7.0); a failure is counted and may lock its address (logged
 * once, when it happens). A good password always passes.
 */
int
intake_auth_check(void *arg, void *udata, const struct smtp_server_client *c, const char *user,
    const char *pass)
{
	struct intake *in = arg;
	size_t i, pl = strlen(pass);
	time_t now = time(NULL), left;
	unsigned flags, af, uf;
	char esc[LOG_ESC_BUFSZ];
	int ok = 0;

	(void)udata;
	if (in->throttle != NULL && (left = intake_throttle_locked(in->throttle, c->addr, now)) > 0) {
		log_debug("smtp=%llx client=%s auth=throttled user=%s left=%llds", c->id, c->addr,
		    log_str(esc, sizeof(esc), user), (long long)left);
		return 1;
	}
	for (i = 0; i < in->nusers; i++) {
		if (strcmp(in->users[i].user, user) != 0)
			continue;
		ok = strlen(in->users[i].password) == pl &&
		    CRYPTO_memcmp(in->users[i].password, pass, pl) == 0;
		break;
	}
	if (ok)
		return 0;
	if (in->throttle == NULL && (in->throttle = intake_throttle_new(INTAKE_AUTH_SLOTS)) == NULL) {
		log_warnx("smtp=%llx client=%s auth=failed error=\"no memory for the AUTH "
		    "throttle\"", c->id, c->addr);
		return -1;
	}
	flags = intake_throttle_fail(in->throttle, c->addr, user, now, &af, &uf);
	if (flags & INTAKE_THROTTLE_USER)
		log_warnx("smtp=%llx client=%s auth=throttled reason=user user=%s failures=%u "
		    "window=%ds", c->id, c->addr, log_str(esc, sizeof(esc), user), uf,
		    INTAKE_AUTH_WINDOW);
	if (flags & INTAKE_THROTTLE_ADDR)
		log_warnx("smtp=%llx client=%s auth=throttled reason=%s failures=%u user-failures=%u "
		    "lockout=%ds", c->id, c->addr,
		    af >= INTAKE_AUTH_ADDR_MAX ? "address" : "user-attacked", af, uf,
		    INTAKE_AUTH_LOCKOUT);
	return -1;
}
