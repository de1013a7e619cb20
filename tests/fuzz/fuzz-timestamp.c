/* fuzz-timestamp.c: a container's templates/<tmpl>/timestamp (the tenant
 * writes it) through the parser and on to the display path of vzpkg list:
 * an accepted value must be in range and format without a crash. */
#include <stdint.h>
#include <time.h>

#include "containers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        long long t = 0;
        if (vz_timestamp_parse((const char *)data, size, &t) == 0) {
                time_t tt = (time_t)t;
                struct tm tm;
                char buf[32];
                if (t <= 0 || t > 253402300799LL)
                        abort();  /* the parser promised a range */
                if (localtime_r(&tt, &tm))
                        strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm);
        }
        return 0;
}
