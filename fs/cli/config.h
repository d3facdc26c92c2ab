/*
 * config.h — the configuration files of the ceramicfs program.
 *
 * Read, in this order: /etc/ceramicfs/config, then
 * $XDG_CONFIG_HOME/ceramicfs/config (default ~/.config/ceramicfs/config);
 * instead of both, the one file of --config FILE (-o config=FILE for the
 * mount) or of $CERAMICFS_CONFIG; none with --no-config (-o no_config).
 * Lines are "key = value" or "# comment"; keys are the long option names
 * (state, key, ipfs, network, pubsub-topic, query-timeout, anchor, ...)
 * and the mount's -o flags (ro, allow_other, ...), '_' and '-' alike.
 *
 * Each setting becomes a command-line option inserted before the user's
 * own arguments, only for the commands that take that option, so the
 * commands' own parsers apply it and the command line wins; a later file
 * wins over an earlier one. An unknown key or a bad value is an error
 * naming FILE:LINE (exit status 2), never ignored.
 */
#ifndef CFS_CONFIG_H
#define CFS_CONFIG_H

/* For command cmd (its argv[0] is the command word): take --config FILE,
 * --config=FILE and --no-config (and, for mount, -o config=FILE and
 * -o no_config) out of the arguments, read the files, and insert the
 * options they give cmd after argv[0]. *argv may be replaced by an array
 * this module owns until cfs_config_free. Returns 0, or an exit status
 * after printing why. */
int cfs_config_apply(const char *cmd, int *argc, char ***argv);
/* Free what cfs_config_apply made. */
void cfs_config_free(void);

/* ceramicfs config [--config FILE|--no-config] [COMMAND]: the settings in
 * force and where each comes from, or the options they add to COMMAND
 * (one argument per line). Call after cfs_config_apply("config", ...). */
int cfs_cmd_config(int argc, char **argv);

#endif
