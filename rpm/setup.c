/* setup.c: librpm's configuration, macros and log (rpm/). */
#include "rpm-internal.h"

#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmmacro.h>

void rpm_init(void)
{
        static bool ready;
        if (!ready) {
                rpmReadConfigFiles(NULL, NULL);
                ready = true;
        }
}

/* The database is the one RPM distributions use (sqlite in /var/lib/rpm),
 * whatever this host's rpm defaults to. */
void vz_rpm_setup(const char *install_langs)
{
        rpm_init();
        rpmPushMacro(NULL, "_dbpath", NULL, "/var/lib/rpm", RMIL_CMDLINE);
        rpmPushMacro(NULL, "_db_backend", NULL, "sqlite", RMIL_CMDLINE);
        if (install_langs)
                rpmPushMacro(NULL, "_install_langs", NULL, install_langs, RMIL_CMDLINE);
}

static char last_message[512];

/* The verdict lines name what failed ("Payload SHA256 digest: BAD",
 * "SIGNATURES NOT OK"); prefer them over anything else librpm says. */
static int capture_log(rpmlogRec rec, rpmlogCallbackData data)
{
        const char *m = rpmlogRecMessage(rec);
        bool verdict = strstr(m, "BAD") || strstr(m, "NOT OK") || strstr(m, "NOKEY") || strstr(m, "not signed");
        (void)data;
        if (verdict || !strstr(last_message, "BAD"))
                if (verdict || !last_message[0])
                        snprintf(last_message, sizeof(last_message), "%s", m);
        return 0;
}

void capture_start(void)
{
        last_message[0] = '\0';
        rpmlogSetCallback(capture_log, NULL);
}

void capture_stop(void)
{
        rpmlogSetCallback(NULL, NULL);
}

const char *captured(void)
{
        return last_message;
}
