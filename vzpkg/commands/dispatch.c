/* dispatch.c: the preconditions the command table declares (commands.h),
 * enforced in one place for every command: the number of positional
 * arguments, root, the network. They are checked after the command's
 * options are parsed, so that --help works for any user with any
 * arguments, and before anything is read or written. */
#include "context.h"
#include "commands.h"

#include <getopt.h>

static int wrong_count(const struct vz_command *cmd, const char *help)
{
        if (cmd->args_msg)
                fprintf(stderr, "vzpkg: %s\n", cmd->args_msg);
        else if (help)
                fputs(help, stderr);
        else
                fprintf(stderr, "vzpkg: %s: wrong number of arguments; see 'vzpkg help %s'\n", cmd->name, cmd->name);
        return VZ_EXIT_USAGE;
}

int vz_cmd_check(struct vz_ctx *ctx, int argc, char **argv, const char *help)
{
        const struct vz_command *cmd = ctx->cmd;
        int n = argc - optind;
        (void)argv;  /* the arguments' meaning is the command's: only their number here */
        if (!cmd)
                return -1;
        if (n < cmd->min_args || n > cmd->max_args)
                return wrong_count(cmd, help);
        if ((cmd->flags & VZ_CMD_ROOT) && geteuid() != 0) {
                fprintf(stderr, "vzpkg: %s: must be run as root%s%s%s\n", cmd->name, cmd->root_why ? " (" : "",
                        cmd->root_why ? cmd->root_why : "", cmd->root_why ? ")" : "");
                return VZ_EXIT_NOT_ROOT;
        }
        if ((cmd->flags & VZ_CMD_NETWORK) && ctx->cache_only) {
                fprintf(stderr, "vzpkg: %s: -C forbids the network this command needs\n", cmd->name);
                return VZ_EXIT_USAGE;
        }
        return -1;
}

int vz_cmd_dispatch(struct vz_ctx *ctx, const struct vz_command *cmd, int argc, char **argv)
{
        int r;
        ctx->cmd = cmd;
        optind = 0;  /* GNU getopt: re-initialise for the command's own options */
        r = cmd->run(ctx, argc, argv);
        ctx->cmd = NULL;
        return r;
}
