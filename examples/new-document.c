/*
 * new-document.c — libceramic in a program of your own: open a node in a
 * new state directory, make a did:key, create a TileDocument signed with
 * it, update the document, and print its StreamID, content and log.
 *
 * Build it against the installed libceramic-dev and run it:
 *
 *     cc -o new-document new-document.c $(pkg-config --cflags --libs libceramic)
 *     ./new-document
 *
 * It prints one "name value" line per fact:
 *
 *     state   /tmp/new-document.Ab12Cd
 *     did     did:key:z6Mk...
 *     stream  kjzl6cwe1jw14...
 *     content {"title":"Hello from libceramic","done":true}
 *     commit  genesis bagcqcera... did:key:z6Mk...
 *     commit  signed bagcqcera... did:key:z6Mk...
 *
 * The state directory stays: `ceramicfs show --state DIR STREAMID` (or
 * log, verify, or a mount with -o state=DIR) reads the document back.
 * Nothing here touches the network: publishing and anchoring are further
 * calls on the same node (cer_node_attach_ipfs, cer_sync_open,
 * cer_anchorer_start).
 *
 * The conventions of ceramic.h, as they show here: a function that fails
 * returns a negative errno and leaves the reason in cer_errmsg(); what a
 * call hands over (the node of cer_node_open, the state of cer_node_state,
 * a cJSON tree, the text of cer_json_print) the caller releases with the
 * matching call; cer_key, cer_streamref and cer_cid are plain values.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */

#include <ceramic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *commit_type(int type)
{
    switch (type) {
    case CER_COMMIT_GENESIS:
        return "genesis";
    case CER_COMMIT_SIGNED:
        return "signed";
    case CER_COMMIT_ANCHOR:
        return "anchor";
    }
    return "?";
}

int main(void)
{
    static const char family[] = "{\"family\":\"example\"}";
    static const char first[] = "{\"title\":\"Hello from libceramic\"}";
    static const char second[] = "{\"title\":\"Hello from libceramic\",\"done\":true}";
    char dir[] = "/tmp/new-document.XXXXXX";
    char sid[CER_STREAMID_STR_MAX], cid[CER_CID_STR_MAX];
    const char *what = "";
    cer_key key = {0};
    cer_node *node = NULL;
    cer_streamref id;
    cer_state *st = NULL;
    cJSON *header = NULL, *content = NULL;
    char *text = NULL;
    int rc;

    if (!mkdtemp(dir)) {
        perror("new-document: mkdtemp");
        return 1;
    }
    printf("state   %s\n", dir);

    /* A did:key: a new random ed25519 key (cer_key_generate_type makes
     * secp256k1 or P-256 ones). Its DID will control the document. */
    what = "cer_key_generate";
    if ((rc = cer_key_generate(&key)) < 0)
        goto out;
    printf("did     %s\n", key.did);

    /* The node: its block store and stream records live in dir. It signs
     * with our key (the options are read during the call only; with no
     * key it would make one and keep it in dir/key). */
    what = "cer_node_open";
    if ((rc = cer_node_open(&node, &(cer_node_opts){.state_dir = dir, .key = &key})) < 0)
        goto out;

    /* Create the document: a genesis commit with a header (the controller
     * defaults to the key's DID) and the first content, signed, stored,
     * and pinned. id is its StreamID. JSON comes in through cer_json_parse,
     * which reads text as JavaScript's JSON.parse does. */
    what = "cer_json_parse";
    if ((rc = cer_json_parse(&header, family, strlen(family), 0)) < 0 ||
        (rc = cer_json_parse(&content, first, strlen(first), 0)) < 0)
        goto out;
    what = "cer_node_create";
    if ((rc = cer_node_create(node, &id, header, content, 0)) < 0)
        goto out;
    what = "cer_streamref_to_string";
    if ((rc = cer_streamref_to_string(sid, sizeof sid, &id)) < 0)
        goto out;
    printf("stream  %s\n", sid);

    /* Update it: the node diffs the new content against the current one
     * and commits the JSON Patch, signed, on top of the tip. */
    cJSON_Delete(content);
    content = NULL;
    what = "cer_json_parse";
    if ((rc = cer_json_parse(&content, second, strlen(second), 0)) < 0)
        goto out;
    what = "cer_node_update";
    if ((rc = cer_node_update(node, &id, content)) < 0)
        goto out;

    /* Read it back: the state is the log, verified, with the content it
     * yields. It is our copy: cer_state_free releases it. */
    what = "cer_node_state";
    if ((rc = cer_node_state(node, &st, &id)) < 0)
        goto out;
    what = "cer_json_print";
    if ((rc = cer_json_print(&text, st->content, 0)) < 0)
        goto out;
    printf("content %s\n", text);
    for (size_t i = 0; i < st->log_len; i++) {
        const cer_log_entry *e = &st->log[i];
        what = "cer_cid_to_string";
        if ((rc = cer_cid_to_string(cid, sizeof cid, &e->cid)) < 0)
            goto out;
        printf("commit  %s %s %s\n", commit_type(e->type), cid, e->author);
    }
    rc = 0;

out:
    if (rc < 0)
        fprintf(stderr, "new-document: %s: %s (%s)\n", what, cer_errmsg(), strerror(-rc));
    free(text);
    cer_state_free(st);
    cJSON_Delete(content);
    cJSON_Delete(header);
    cer_node_close(node);
    cer_key_wipe(&key);
    return rc < 0 ? 1 : 0;
}
