/*
 * main.c - the `peerline` command: picks a subcommand and hands over.
 *
 *   peerline serve -c FILE     the gateway (serve.c)
 *   peerline check -c FILE     validate config and roster (here)
 *   peerline who -c FILE ...   the matcher's dry run (who.c)
 *   peerline sim -c FILE       the loopback provider simulator (sim.c)
 *   peerline report -c FILE    volumes, waits, ratings (report.c)
 *   peerline purge -c FILE     apply the retention policy now (retention.c)
 *   peerline version           versions of peerline and its libraries
 */
#include "config.h"
#include "diag.h"
#include "linecheck.h"
#include "report.h"
#include "retention.h"
#include "roster.h"
#include "serve.h"
#include "sim.h"
#include "who.h"

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#define PEERLINE_VERSION "0.1.0"

static int usage(FILE *out)
{
    fprintf(out, "usage: peerline serve -c FILE     run the gateway in the foreground\n"
                 "       peerline check -c FILE     validate the config and roster\n"
                 "       peerline who -c FILE --topic T [--lang L] [--urgent] [--at \"YYYY-MM-DD "
                 "HH:MM [Area/City]\"]\n"
                 "                                  who would be offered a texter, and why not\n"
                 "       peerline report -c FILE [--since YYYY-MM-DD] [--format csv|json]\n"
                 "                                  volumes, waits, lengths and ratings\n"
                 "       peerline purge -c FILE     apply the retention policy now\n"
                 "       peerline sim -c FILE [--listen HOST:PORT]\n"
                 "                                  run the loopback Twilio simulator\n"
                 "       peerline version           print versions\n");
    return out == stdout ? 0 : 2;
}

/* Finds "-c FILE" (or --config FILE) in argv. */
static const char *config_arg(int argc, char **argv)
{
    int i;

    for (i = 2; i + 1 < argc; i++)
        if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config"))
            return argv[i + 1];
    return NULL;
}

/* Checks that only -c FILE was given. */
static int only_config(int argc, char **argv)
{
    return argc == 4 && config_arg(argc, argv);
}

/* Every check `serve` makes at start and on each reload (linecheck.h), and nothing else. */
static int cmd_check(const char *path)
{
    struct diag *d = diag_new();
    struct line_files f;
    int rc = 1;

    if (!d)
        return 1;
    if (linecheck_load(path, &f, d) || diag_count(d)) {
        diag_print(d, stdout);
    } else {
        printf("%s: ok (%zu topics, %zu peers, %zu coordinators, %zu pool numbers)\n", path,
               f.roster->ntopics, f.roster->npeers, f.roster->ncoordinators, f.cfg->provider.npool);
        rc = 0;
    }
    linecheck_free(&f);
    diag_free(d);
    return rc;
}

static int cmd_version(void)
{
    printf("peerline %s\n", PEERLINE_VERSION);
    printf("libmicrohttpd %s\n", MHD_get_version());
    printf("%s\n", curl_version());
    printf("sqlite %s\n", sqlite3_libversion());
    printf("libpq %d.%d\n", PQlibVersion() / 10000, PQlibVersion() % 10000);
    printf("libyaml %s\n", yaml_get_version_string());
    printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
    printf("jansson %s\n", jansson_version_str());
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version"))
        return cmd_version();
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return usage(stdout);
    if (!strcmp(argv[1], "check")) {
        if (!only_config(argc, argv))
            return usage(stderr);
        return cmd_check(config_arg(argc, argv));
    }
    if (!strcmp(argv[1], "serve")) {
        if (!only_config(argc, argv))
            return usage(stderr);
        return serve_main(config_arg(argc, argv));
    }
    if (!strcmp(argv[1], "sim"))
        return sim_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "who"))
        return who_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "report"))
        return report_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "purge"))
        return purge_main(argc - 1, argv + 1);
    fprintf(stderr, "peerline: unknown command \"%s\"\n", argv[1]);
    return usage(stderr);
}
