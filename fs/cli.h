/*
 * cli.h — the plumbing commands of the ceramicfs program (did, dag,
 * streamid, sign, verify, genesis, commit). Each takes argc/argv after the
 * command word and returns the process exit status.
 */
#ifndef CFS_CLI_H
#define CFS_CLI_H

int cfs_cmd_did(int argc, char **argv);
int cfs_cmd_dag(int argc, char **argv);
int cfs_cmd_streamid(int argc, char **argv);
int cfs_cmd_sign(int argc, char **argv);
int cfs_cmd_verify(int argc, char **argv);
int cfs_cmd_genesis(int argc, char **argv);
int cfs_cmd_commit(int argc, char **argv);

#endif
