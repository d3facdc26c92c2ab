/*
 * cli.h — the commands of the ceramicfs program: plumbing (did, dag,
 * streamid, sign, verify, genesis, commit; cli.c) and the node's scripting
 * commands (create, show, update, log, list, pin, unpin, alias; clinode.c). Each takes argc/argv after the
 * command word and returns the process exit status.
 */
#ifndef CFS_CLI_H
#define CFS_CLI_H

int cfs_cmd_did(int argc, char **argv);
int cfs_cmd_dag(int argc, char **argv);
int cfs_cmd_streamid(int argc, char **argv);
int cfs_cmd_sign(int argc, char **argv);
/* daemon --api HOST:PORT ...: js-ceramic's HTTP API without a mount (clidaemon.c) */
int cfs_cmd_daemon(int argc, char **argv);
/* verify FILE: a DAG-JOSE block's signatures (cfs_cmd_verify sends files here) */
int cfs_cmd_verify_block(int argc, char **argv);
int cfs_cmd_genesis(int argc, char **argv);
int cfs_cmd_commit(int argc, char **argv);

/* The node commands (clinode.c). */
int cfs_cmd_create(int argc, char **argv);
int cfs_cmd_show(int argc, char **argv);
int cfs_cmd_update(int argc, char **argv);
int cfs_cmd_log(int argc, char **argv);
int cfs_cmd_list(int argc, char **argv);
int cfs_cmd_pin(int argc, char **argv);
int cfs_cmd_unpin(int argc, char **argv);
int cfs_cmd_alias(int argc, char **argv);
/* verify [STREAM|ALIAS|FILE]: a stream, every stream, or a DAG-JOSE file */
int cfs_cmd_verify(int argc, char **argv);
/* export STREAM [-o FILE], import FILE: streams as CAR files (clicar.c) */
int cfs_cmd_export(int argc, char **argv);
int cfs_cmd_import(int argc, char **argv);
/* account: the DID the node writes as (cliaccount.c) */
int cfs_cmd_account(int argc, char **argv);
/* link: an Ethereum account linked to a DID, a Caip10Link (clilink.c) */
int cfs_cmd_link(int argc, char **argv);
/* mount.c (the mount) */
int cfs_cmd_mount(int argc, char **argv);

#endif
