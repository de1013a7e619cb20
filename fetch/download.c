/* download.c: a libcurl multi loop. Items wait in a queue; at most
 * `parallel` run at once; a failed attempt is retried with exponential
 * backoff, then the next alternative URL is tried. Data is written to
 * dest.part (resumed when present), verified, then renamed to dest. */
#include "fetch.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

struct vz_fetch {
        struct vz_fetch_opts opts;
        CURLM *multi;
        long long bytes_downloaded;
};

struct transfer {
        struct vz_download *d;
        CURL *easy;
        int fd;
        size_t url_index;
        int attempt;
        long long resume_from;
        long long written;      /* bytes in the .part, resume included */
        long long cap;          /* never more than this in the .part */
        bool oversize;          /* cut off at the cap */
        bool truncated;         /* the server ignored our Range: restart the file */
        bool absent;            /* the last attempt found nothing there (HTTP 404, 410) */
        double not_before;      /* monotonic seconds: backoff */
        char *part;
        char curl_err[CURL_ERROR_SIZE];
        struct curl_slist *headers;
        char *etag;
        bool active, finished;
};

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int vz_fetch_new(const struct vz_fetch_opts *opts, struct vz_fetch **ret)
{
        static bool curl_ready;
        struct vz_fetch *f = vz_xmalloc(sizeof(*f));

        if (!curl_ready && curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
                free(f);
                return -ENOMEM;
        }
        curl_ready = true;
        f->opts = *opts;
        if (f->opts.parallel <= 0)
                f->opts.parallel = 8;
        if (f->opts.retries <= 0)
                f->opts.retries = 3;
        if (f->opts.connect_timeout <= 0)
                f->opts.connect_timeout = 15;
        if (f->opts.timeout <= 0)
                f->opts.timeout = 1800;
        if (f->opts.low_speed_limit <= 0)
                f->opts.low_speed_limit = 1024;
        if (f->opts.low_speed_time <= 0)
                f->opts.low_speed_time = 60;
        f->multi = curl_multi_init();
        curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)f->opts.parallel);
        *ret = f;
        return 0;
}

void vz_fetch_free(struct vz_fetch *f)
{
        if (!f)
                return;
        curl_multi_cleanup(f->multi);
        free(f);
}

long long vz_fetch_bytes_downloaded(const struct vz_fetch *f)
{
        return f->bytes_downloaded;
}

void vz_download_done(struct vz_download *d)
{
        free(d->used_url);
        d->used_url = NULL;
}

/* ---- callbacks ---------------------------------------------------------- */

static size_t on_data(char *buf, size_t size, size_t n, void *userdata)
{
        struct transfer *t = userdata;
        size_t len = size * n, off = 0;
        long code = 0;

        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
        if (t->resume_from > 0 && code == 200 && !t->truncated) {
                /* Asked for a range, got the whole file: start over. */
                if (ftruncate(t->fd, 0) < 0 || lseek(t->fd, 0, SEEK_SET) < 0)
                        return 0;
                t->truncated = true;
                t->written = 0;
        }
        /* A chunked response has no Content-Length for MAXFILESIZE to
         * check: count here and cut off at once. */
        if ((long long)len > t->cap - t->written) {
                t->oversize = true;
                return 0;
        }
        t->written += (long long)len;
        while (off < len) {
                ssize_t w = write(t->fd, buf + off, len - off);
                if (w <= 0)
                        return 0;
                off += (size_t)w;
        }
        return len;
}

static size_t on_header(char *buf, size_t size, size_t n, void *userdata)
{
        struct transfer *t = userdata;
        size_t len = size * n;
        if (len > 5 && strncasecmp(buf, "etag:", 5) == 0) {
                free(t->etag);
                t->etag = strndup(buf + 5, len - 5);
                vz_strip(t->etag);
        }
        return len;
}

/* ---- one attempt ------------------------------------------------------- */

static char *meta_path(const char *dest)
{
        return vz_asprintf("%s.etag", dest);
}

static void add_conditions(struct transfer *t)
{
        struct stat st;
        _cleanup_free_ char *mp = meta_path(t->d->dest);
        _cleanup_free_ char *etag = NULL;

        if (!t->d->conditional || stat(t->d->dest, &st) < 0)
                return;
        if (vz_read_file(mp, &etag, NULL) == 0 && *vz_strip(etag)) {
                char *h = vz_asprintf("If-None-Match: %s", vz_strip(etag));
                t->headers = curl_slist_append(t->headers, h);
                free(h);
        }
        curl_easy_setopt(t->easy, CURLOPT_TIMECONDITION, (long)CURL_TIMECOND_IFMODSINCE);
        curl_easy_setopt(t->easy, CURLOPT_TIMEVALUE_LARGE, (curl_off_t)st.st_mtime);
}

static long long cap_of(const struct vz_download *d)
{
        if (d->size >= 0)
                return d->size;  /* the signed size, exactly */
        return d->max_size > 0 ? d->max_size : VZ_FETCH_MAX_UNSIZED;
}

static int open_part(struct transfer *t)
{
        struct stat st;
        t->fd = open(t->part, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (t->fd < 0)
                return -errno;
        if (fstat(t->fd, &st) < 0)
                return -errno;
        t->cap = cap_of(t->d);
        t->oversize = false;
        /* Resume only what can be checked afterwards: a digest must be known,
         * and a .part already at the cap has nothing left to fetch. */
        t->resume_from = (t->d->sha256 && !t->d->conditional && st.st_size < t->cap) ? st.st_size : 0;
        t->written = t->resume_from;
        if (t->resume_from == 0 && ftruncate(t->fd, 0) < 0)
                return -errno;
        if (lseek(t->fd, t->resume_from, SEEK_SET) < 0)
                return -errno;
        return 0;
}

static int start_attempt(struct vz_fetch *f, struct transfer *t)
{
        const char *url = t->d->urls[t->url_index];
        int r = open_part(t);
        if (r < 0)
                return r;
        t->easy = curl_easy_init();
        t->truncated = false;
        t->curl_err[0] = '\0';
        curl_easy_setopt(t->easy, CURLOPT_URL, url);
        curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
        curl_easy_setopt(t->easy, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(t->easy, CURLOPT_HEADERDATA, t);
        curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
        curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->curl_err);
        curl_easy_setopt(t->easy, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(t->easy, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT, f->opts.connect_timeout);
        curl_easy_setopt(t->easy, CURLOPT_TIMEOUT, f->opts.timeout);
        curl_easy_setopt(t->easy, CURLOPT_LOW_SPEED_LIMIT, f->opts.low_speed_limit);
        curl_easy_setopt(t->easy, CURLOPT_LOW_SPEED_TIME, f->opts.low_speed_time);
        curl_easy_setopt(t->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t->cap);
        curl_easy_setopt(t->easy, CURLOPT_FILETIME, 1L);
        curl_easy_setopt(t->easy, CURLOPT_USERAGENT, "vzpkg/" VZPKG_VERSION);
        curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "http,https,ftp,file");
        if (f->opts.proxy && *f->opts.proxy)
                curl_easy_setopt(t->easy, CURLOPT_PROXY, f->opts.proxy);
        if (t->resume_from > 0)
                curl_easy_setopt(t->easy, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)t->resume_from);
        add_conditions(t);
        if (t->headers)
                curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
        curl_multi_add_handle(f->multi, t->easy);
        t->active = true;
        return 0;
}

static void end_attempt(struct vz_fetch *f, struct transfer *t)
{
        if (t->easy) {
                curl_multi_remove_handle(f->multi, t->easy);
                curl_easy_cleanup(t->easy);
                t->easy = NULL;
        }
        curl_slist_free_all(t->headers);
        t->headers = NULL;
        if (t->fd >= 0)
                close(t->fd);
        t->fd = -1;
        t->active = false;
}

/* ---- outcome of an attempt ---------------------------------------------- */

enum outcome { DONE, RETRY, NEXT_URL, FAIL };

static int verify_part(struct transfer *t, struct vz_error *err)
{
        char hex[65];
        struct stat st;
        const char *url = t->d->urls[t->url_index];

        if (stat(t->part, &st) < 0)
                return -errno;
        if (t->d->size >= 0 && st.st_size != t->d->size)
                return vz_error_reset(err, -VZ_E_CHECKSUM, "%s: size %lld differs from the signed %lld (from %s)",
                                      t->d->label, (long long)st.st_size, t->d->size, url);
        if (!t->d->sha256)
                return 0;
        int r = vz_sha256_file(t->part, hex);
        if (r < 0)
                return r;
        if (strcmp(hex, t->d->sha256) != 0)
                return vz_error_reset(err, -VZ_E_CHECKSUM,
                                      "%s: SHA-256 mismatch (from %s); the repository or a proxy serves a corrupt file",
                                      t->d->label, url);
        return 0;
}

static int publish(struct transfer *t, long filetime)
{
        _cleanup_free_ char *mp = meta_path(t->d->dest);
        if (rename(t->part, t->d->dest) < 0)
                return -errno;
        if (filetime > 0 && t->d->conditional) {  /* packages keep "last used" as mtime */
                struct timespec ts[2] = { { filetime, 0 }, { filetime, 0 } };
                utimensat(AT_FDCWD, t->d->dest, ts, 0);
        }
        if (t->d->conditional && t->etag)
                vz_write_file_atomic(mp, t->etag, strlen(t->etag), 0644);
        return 0;
}

static enum outcome judge(struct vz_fetch *f, struct transfer *t, CURLcode cc, struct vz_error *err)
{
        const char *url = t->d->urls[t->url_index];
        long code = 0, filetime = -1;
        curl_off_t got = 0;

        t->absent = cc == CURLE_REMOTE_FILE_NOT_FOUND;  /* not there, as a 404 below */
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_getinfo(t->easy, CURLINFO_FILETIME, &filetime);
        curl_easy_getinfo(t->easy, CURLINFO_SIZE_DOWNLOAD_T, &got);
        f->bytes_downloaded += got;
        if (cc == CURLE_OK && code == 304) {
                t->d->not_modified = true;
                unlink(t->part);
                return DONE;
        }
        if (cc == CURLE_OK && (code == 404 || code == 410)) {
                unlink(t->part);
                t->absent = true;
                vz_error_reset(err, -VZ_E_DOWNLOAD, "%s: not found at %s (HTTP %ld)", t->d->label, url, code);
                return NEXT_URL;
        }
        if (code == 416 || (cc == CURLE_OK && code >= 400)) {
                if (code == 416)
                        unlink(t->part);  /* our partial file is bad: start clean */
                vz_error_reset(err, -VZ_E_DOWNLOAD, "%s: HTTP %ld from %s", t->d->label, code, url);
                return RETRY;
        }
        if (t->oversize || cc == CURLE_FILESIZE_EXCEEDED) {
                /* Deterministic: this server would send too much again. */
                unlink(t->part);
                vz_error_reset(err, -VZ_E_CHECKSUM, "%s: larger than %s of %lld bytes, cut off (%s)", url,
                               t->d->size >= 0 ? "the signed size" : "the limit", t->cap, t->d->label);
                return NEXT_URL;
        }
        if (cc == CURLE_OPERATION_TIMEDOUT) {
                /* A server that trickled or stalled once will again: try the next mirror. */
                unlink(t->part);
                vz_error_reset(err, -VZ_E_DOWNLOAD,
                               "%s: timed out (%s; limits: %ld s per transfer, at least %ld bytes/s over %ld s) (%s)",
                               url, t->curl_err[0] ? t->curl_err : curl_easy_strerror(cc), f->opts.timeout,
                               f->opts.low_speed_limit, f->opts.low_speed_time, t->d->label);
                return NEXT_URL;
        }
        if (cc != CURLE_OK) {
                vz_error_reset(err, -VZ_E_DOWNLOAD, "%s: %s (%s); check the mirror URL and the network",
                               url, t->curl_err[0] ? t->curl_err : curl_easy_strerror(cc), t->d->label);
                return RETRY;
        }
        if (verify_part(t, err) < 0) {
                unlink(t->part);
                return NEXT_URL;
        }
        if (publish(t, filetime) < 0) {
                vz_error_reset(err, -EIO, "%s: cannot write %s: %m", t->d->label, t->d->dest);
                return FAIL;
        }
        return DONE;
}

static void finish(struct transfer *t, int result)
{
        t->finished = true;
        t->d->result = result;
        if (result == 0 && !t->d->used_url)
                t->d->used_url = vz_xstrdup(t->d->urls[t->url_index]);
}

/* Decide what happens after an attempt; returns the item's final result or 1
 * when it will be tried again. */
static int after_attempt(struct vz_fetch *f, struct transfer *t, CURLcode cc, struct vz_error *err)
{
        struct vz_error local = { 0 };
        enum outcome o = judge(f, t, cc, &local);
        end_attempt(f, t);
        if (o == DONE) {
                finish(t, 0);
                return 0;
        }
        if (o == RETRY && ++t->attempt < f->opts.retries) {
                t->not_before = now_s() + 0.5 * (1 << t->attempt);
                return 1;
        }
        if (o != FAIL && t->d->urls[t->url_index + 1]) {
                t->url_index++;
                t->attempt = 0;
                t->not_before = 0;
                return 1;
        }
        if (t->d->optional && t->absent) {
                finish(t, -ENOENT);
                return 0;
        }
        vz_error_set(err, local.code, "%s", local.msg);
        finish(t, local.code);
        return local.code;
}

/* ---- the loop ------------------------------------------------------------ */

static void report(struct vz_fetch *f, struct transfer *ts, size_t n, size_t done)
{
        long long now = 0, total = 0;
        if (!f->opts.progress)
                return;
        for (size_t i = 0; i < n; i++) {
                if (ts[i].d->size > 0)
                        total += ts[i].d->size;
                if (ts[i].finished && ts[i].d->size > 0)
                        now += ts[i].d->size;
                else if (ts[i].active) {
                        curl_off_t got = 0;
                        curl_easy_getinfo(ts[i].easy, CURLINFO_SIZE_DOWNLOAD_T, &got);
                        now += got + ts[i].resume_from;
                }
        }
        f->opts.progress(f->opts.userdata, done, n, now, total);
}

static size_t start_ready(struct vz_fetch *f, struct transfer *ts, size_t n, size_t running,
                          struct vz_error *err, int *first_error)
{
        double t0 = now_s();
        for (size_t i = 0; i < n && running < (size_t)f->opts.parallel; i++) {
                if (ts[i].active || ts[i].finished || ts[i].not_before > t0)
                        continue;
                int r = start_attempt(f, &ts[i]);
                if (r < 0) {
                        vz_error_set(err, r, "%s: cannot write %s: %s", ts[i].d->label, ts[i].part, strerror(-r));
                        end_attempt(f, &ts[i]);
                        finish(&ts[i], r);
                        if (!*first_error)
                                *first_error = r;
                        continue;
                }
                running++;
        }
        return running;
}

static size_t collect_done(struct vz_fetch *f, struct transfer *ts, size_t n, struct vz_error *err,
                           int *first_error, size_t *done)
{
        CURLMsg *m;
        int left;
        size_t ended = 0;
        while ((m = curl_multi_info_read(f->multi, &left))) {
                struct transfer *t = NULL;
                if (m->msg != CURLMSG_DONE)
                        continue;
                curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
                int r = after_attempt(f, t, m->data.result, err);
                ended++;
                if (r <= 0)
                        (*done)++;
                if (r < 0 && !*first_error)
                        *first_error = r;
        }
        (void)n;
        return ended;
}

static void init_transfers(struct transfer *ts, struct vz_download *items, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                ts[i] = (struct transfer){ .d = &items[i], .fd = -1 };
                ts[i].part = vz_asprintf("%s.part", items[i].dest);
                items[i].result = 0;
                items[i].not_modified = false;
                if (!items[i].urls || !items[i].urls[0])
                        finish(&ts[i], -EINVAL);
        }
}

int vz_fetch_run(struct vz_fetch *f, struct vz_download *items, size_t n, struct vz_error *err)
{
        _cleanup_free_ struct transfer *ts = vz_xmalloc((n + 1) * sizeof(*ts));
        size_t running = 0, done = 0;
        int first_error = 0;

        init_transfers(ts, items, n);
        for (size_t i = 0; i < n; i++)
                if (ts[i].finished)
                        done++;
        while (done < n) {
                int still = 0;
                if (f->opts.cancelled && f->opts.cancelled()) {
                        first_error = vz_error_reset(err, -VZ_E_INTERRUPTED, "interrupted during downloads");
                        break;
                }
                if (first_error)
                        break;  /* one failure dooms the job: stop early */
                running = start_ready(f, ts, n, running, err, &first_error);
                curl_multi_perform(f->multi, &still);
                running -= collect_done(f, ts, n, err, &first_error, &done);
                report(f, ts, n, done);
                if (done < n)
                        curl_multi_poll(f->multi, NULL, 0, 100, NULL);
        }
        for (size_t i = 0; i < n; i++) {
                if (ts[i].active)
                        end_attempt(f, &ts[i]);
                /* Failed, cut off or interrupted: no partial file stays. */
                if (!ts[i].finished || ts[i].d->result < 0)
                        unlink(ts[i].part);
                free(ts[i].part);
                free(ts[i].etag);
        }
        return first_error;
}
