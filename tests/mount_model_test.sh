#!/bin/sh
# mount_model_test.sh — Models and their documents (MIDs) in the real
# mount: MOUNT/.models lists a folder per Model (<name>-<StreamID>), each
# listing the Model's documents; mkdir there and a save make a MID (a
# list Model: its signed genesis; a single Model: this key's one
# document, a second mkdir EEXIST, and after its rmdir a mkdir keeps it
# again); MIDs are edited with sed -i and vim as tiles are (one signed
# commit a save); a save that breaks the Model's schema is refused like
# invalid JSON (EINVAL at close or sync, .errors and user.ceramic.error
# naming the path and keyword, the draft kept, across a remount for a
# document not made yet); .meta.json names the Model; and after the
# unmount `ceramicfs show`, `log` and `verify` agree.
#
# Needs FUSE (root, /dev/fuse, fusermount3), vim, jq and getfattr:
# without them a loud SKIP (exit 77) outside CI, a failure with CI set.
set -u

CFS=${CERAMICFS:-build/ceramicfs}
TEST=mount_model_test WHAT="Models and MIDs in the mount"
. "$(dirname "$0")/lib.sh"
need_fuse
for tool in vim jq getfattr; do
    command -v $tool >/dev/null || skip "no $tool (./packaging/deps.sh installs it)"
done

# not under /tmp: vim writes in place there
T=$(mktemp -d /var/tmp/cfs-model.XXXXXX)
M=$T/mnt S=$T/state
mkdir -p "$M"
PID=
cleanup() {
    unmount "$M"
    [ -n "$PID" ] && kill $PID 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

xattr() { timeout 30 getfattr --absolute-names --only-values -n "$@"; }
commits() { t wc -l <"$1/.log" | tr -d ' '; }
errno_is() {
    name=$1 want=$2; shift 2
    if t "$@" 2>"$T/err" >/dev/null; then bad "$name: succeeded, want '$want'"; return; fi
    if grep -q "$want" "$T/err"; then ok "$name ($want)"; else bad "$name: $(cat "$T/err") (want '$want')"; fi
}
mount_fs() {
    $CFS mount "$M" --state "$S" -f --anchor none ${CFS_MOUNT_OPTS:-} 2>>"$T/daemon.log" &
    PID=$!
    wait_mounted "$M" $PID "$T/daemon.log"
}

# ---- Models made with the CLI, one document made there too ----
cat >"$T/note.json" <<'EOF'
{"version":"1.0","name":"Note","accountRelation":{"type":"list"},
 "schema":{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","additionalProperties":false,
  "properties":{"title":{"type":"string","maxLength":40},"tags":{"type":"array","items":{"type":"string"}}},
  "required":["title"]}}
EOF
cat >"$T/profile.json" <<'EOF'
{"version":"1.0","name":"My profile/v1","accountRelation":{"type":"single"},
 "schema":{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","additionalProperties":false,
  "properties":{"nick":{"type":"string"}},"required":["nick"]}}
EOF
NOTE=$(t $CFS create --state "$S" --model-def @"$T/note.json" | jq -r .streamId)
PROF=$(t $CFS create --state "$S" --model-def @"$T/profile.json" --alias profile-model | jq -r .streamId)
t $CFS create --state "$S" --model "$NOTE" --content '{"title":"from the CLI"}' --alias first >/dev/null || bad "create first"
NF=.models/Note-$NOTE PF=.models/My_profile_v1-$PROF

mount_fs
# ---- the folders ----
eq root.lists.models "$(ls -A "$M" | grep -c '^\.models$')" 1
eq models.listed "$(ls "$M/.models" | sort | tr '\n' ' ')" "$(printf '%s\n' "My_profile_v1-$PROF" "Note-$NOTE" | sort | tr '\n' ' ')"
eq folder.lists.mids "$(ls "$M/$NF")" first
eq folder.same.content "$(t jq -c . "$M/$NF/first/content.json")" '{"title":"from the CLI"}'
eq folder.same.inode "$(stat -c %i "$M/$NF/first/content.json")" "$(stat -c %i "$M/first/content.json")"
eq meta.names.model "$(t jq -r .header.model "$M/$NF/first/.meta.json")" "$NOTE"
errno_is models.mkdir "Operation not permitted" mkdir "$M/.models/x"
errno_is models.unknown "No such file" ls "$M/.models/Other-$NOTE"

# ---- mkdir and a save make a MID (list) ----
t mkdir "$M/$NF/second" || bad "mkdir second"
eq pending.listed "$(ls "$M/$NF" | tr '\n' ' ')" "first second "
t sh -c "echo '{\"title\":\"second doc\",\"tags\":[]}' > '$M/$NF/second/content.json'" || bad "first save"
SECOND=$(t cat "$M/$NF/second/.streamid")
case $SECOND in kjzl6kcym7w8y*) ok "second is a MID ($SECOND)" ;; *) bad "second: '$SECOND'" ;; esac
eq second.in.root "$(t jq -r .title "$M/second/content.json")" "second doc"
eq second.model "$(t jq -r .header.model "$M/second/.meta.json")" "$NOTE"
eq second.genesis "$(commits "$M/second")" 1

# ---- edits: sed -i (a rename onto content.json), vim writing a new file ----
t sed -i 's/"tags": *\[\]/"tags":["fs"]/' "$M/$NF/second/content.json" || bad "sed -i"
eq sed.one.commit "$(commits "$M/second")" 2
t vim -u NONE -i NONE -es --cmd 'set backupskip= backupcopy=no writebackup' -c '%s/second doc/my note/' -c wq \
    "$M/$NF/second/content.json" </dev/null >/dev/null 2>&1 || bad "vim save"
eq vim.one.commit "$(commits "$M/second")" 3
eq edits.content "$(t jq -c . "$M/second/content.json")" '{"title":"my note","tags":["fs"]}'
eq edits.patch "$(tail -1 "$M/second/.log" | jq -c .data)" '[{"op":"replace","path":"/title","value":"my note"}]'

# ---- saves the schema refuses: like invalid JSON ----
F=$M/$NF/second/content.json
errno_is schema.sync "Invalid argument" sh -c "echo '{\"title\":5,\"tags\":[\"fs\"]}' > '$F' && sync '$F'"
eq schema.state "$(xattr user.ceramic.state "$F")" invalid
case $(xattr user.ceramic.error "$F") in
*"data/title must be string"*) ok "schema.xattr names the path" ;;
*) bad "schema.xattr: $(xattr user.ceramic.error "$F")" ;;
esac
eq schema.errors "$(tail -1 "$M/.errors" | jq -r .message)" \
    "second/content.json: not saved (close): Validation Error: data/title must be string (instancePath /title, keyword type)"
eq schema.draft.kept "$(t cat "$F")" '{"title":5,"tags":["fs"]}'
eq schema.no.commit "$(commits "$M/second")" 3
errno_is schema.sed "Invalid argument" sed -i 's/"tags"/"labels"/' "$F"
case $(tail -1 "$M/.errors" | jq -r .message) in
*"Validation Error:"*) ok "schema.sed in .errors" ;;
*) bad "schema.sed: $(tail -1 "$M/.errors")" ;;
esac
eq schema.sed.no.commit "$(commits "$M/second")" 3
t sh -c "echo '{\"title\":\"fixed\",\"tags\":[\"fs\"]}' > '$F'" || bad "valid save after refusals"
eq schema.fixed "$(xattr user.ceramic.state "$F")" clean
eq schema.fixed.commit "$(commits "$M/second")" 4

# a first save that breaks the schema: no MID is made, the draft stays
t mkdir "$M/$NF/third" || bad "mkdir third"
errno_is schema.genesis "Invalid argument" sh -c "echo '{\"tags\":[]}' > '$M/$NF/third/content.json' && sync '$M/$NF/third/content.json'"
case $(tail -1 "$M/.errors" | jq -r .message) in
*"must have required property 'title'"*) ok "schema.genesis in .errors" ;;
*) bad "schema.genesis: $(tail -1 "$M/.errors")" ;;
esac
eq schema.genesis.no.stream "$(ls "$M/$NF/third" | tr '\n' ' ')" "content.json "

# ---- a single Model: this key's one document ----
t mkdir "$M/$PF/me" || bad "mkdir me"
errno_is single.pending.twice "File exists" mkdir "$M/$PF/me2"
t sh -c "echo '{\"nick\":\"ann\"}' > '$M/$PF/me/content.json'" || bad "single save"
eq single.log "$(t jq -r .type "$M/me/.log" | tr '\n' ' ')" "genesis signed "
eq single.genesis.unsigned "$(head -1 "$M/me/.log" | jq -c .data)" null
errno_is single.twice "File exists" mkdir "$M/$PF/me2"
ME=$(t cat "$M/me/.streamid")
# rmdir unpins it; mkdir keeps it again, under the new name
t rmdir "$M/$PF/me" || bad "rmdir me"
eq single.unpinned "$(ls "$M/$PF")" ""
t mkdir "$M/$PF/again" || bad "mkdir again"
eq single.again "$(t cat "$M/$PF/again/.streamid")" "$ME"
eq single.again.content "$(t jq -c . "$M/again/content.json")" '{"nick":"ann"}'
errno_is single.again.twice "File exists" mkdir "$M/$PF/me"

# ---- rmdir in a folder unpins; a pending draft survives a remount ----
t mkdir "$M/$NF/gone" || bad "mkdir gone"
t rmdir "$M/$NF/gone" || bad "rmdir gone"
eq rmdir.gone "$(ls "$M/$NF" | tr '\n' ' ')" "first second third "
umount_fs
mount_fs
eq remount.folder "$(ls "$M/$NF" | tr '\n' ' ')" "first second third "
eq remount.draft "$(t cat "$M/$NF/third/content.json")" '{"tags":[]}'
eq remount.state "$(xattr user.ceramic.state "$M/$NF/third/content.json")" invalid
t sh -c "echo '{\"title\":\"third\"}' > '$M/$NF/third/content.json'" || bad "third save after remount"
THIRD=$(t cat "$M/$NF/third/.streamid")
eq remount.third.made "$(t jq -r .header.model "$M/third/.meta.json")" "$NOTE"
umount_fs

# ---- the CLI agrees ----
eq cli.show "$(t $CFS show --state "$S" "$SECOND" | jq -cS .)" '{"tags":["fs"],"title":"fixed"}'
eq cli.log "$(t $CFS log --state "$S" "$SECOND" | jq -r .type | tr '\n' ' ')" "genesis signed signed signed "
eq cli.model "$(t $CFS show --meta --state "$S" second | jq -r .metadata.model)" "$NOTE"
eq cli.single "$(t $CFS show --state "$S" "$ME" | jq -c .)" '{"nick":"ann"}'
eq cli.third "$(t $CFS show --state "$S" "$THIRD" | jq -c .)" '{"title":"third"}'
for id in "$SECOND" "$ME" "$THIRD"; do
    if t $CFS verify --state "$S" "$id" >/dev/null; then ok "cli.verify $id"; else bad "cli.verify $id"; fi
done

[ $fails -eq 0 ] || { echo "$TEST: $fails failed"; tail -20 "$T/daemon.log"; exit 1; }
echo "$TEST: all passed"
