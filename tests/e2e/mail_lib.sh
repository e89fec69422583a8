# tests/e2e/mail_lib.sh: the mail servers of the mail tests, started on
# loopback in the test's directory (after lib.sh): an SMTP server
# (python3-aiosmtpd, mail_sink.py, storing each message to a file; with
# SINK_AUTH=USER:PASSWORD it requires AUTH) and an IMAP server (Dovecot,
# with a passwd-file user), and the helpers that read what arrived. A test
# without the servers installed is skipped.
PY=/usr/bin/python3
# The servers come with scripts/deps.sh (make deps, as root).
if ! "$PY" -c 'import aiosmtpd' 2>/dev/null || ! command -v dovecot >/dev/null; then
    echo "1..0 # SKIP python3-aiosmtpd and dovecot-imapd are not installed (make deps as root)"
    rm -rf "$TMP"
    exit 0
fi
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- the SMTP server
SMTP_PORT=$(free_port)
SINK=$TMP/sink
SINKPID=
start_sink() {
    "$PY" "$ROOT/tests/e2e/mail_sink.py" "$SMTP_PORT" "$SINK" ${SINK_AUTH:+"$SINK_AUTH"} >"$TMP/sink.log" 2>&1 &
    SINKPID=$!
    for _ in $(seq 1 100); do grep -q listening "$TMP/sink.log" 2>/dev/null && return 0; sleep 0.05; done
    echo "Bail out! the SMTP server did not start"
    cat "$TMP/sink.log"
    exit 1
}
stop_sink() { [ -n "$SINKPID" ] && kill "$SINKPID" 2>/dev/null && wait "$SINKPID" 2>/dev/null; SINKPID=; }

# --- the IMAP server: Dovecot in $TMP/dv, its own base_dir, one passwd-file user
IMAP_PORT=$(free_port)
DV=$TMP/dv
mkdir -p "$DV/run" "$DV/mail" "$DV/log"
chmod 755 "$TMP" "$DV"
echo "seam:{PLAIN}mailbox-secret" >"$DV/passwd"
echo "mailbox-secret" >"$TMP/imap.pass"
if [ "$(id -u)" = 0 ]; then # the mail processes never run as root: Dovecot's own user
    MUID=$(id -u dovecot) MGID=$(id -g dovecot) IUSER=dovecot IGROUP=dovecot LUSER=dovenull
    chown dovecot:dovecot "$DV/mail"
else
    MUID=$(id -u) MGID=$(id -g) IUSER=$(id -un) IGROUP=$(id -gn) LUSER=$(id -un)
fi
cat >"$DV/dovecot.conf" <<EOF
protocols = imap
listen = 127.0.0.1
base_dir = $DV/run
state_dir = $DV/run/state
log_path = $DV/log/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = $IUSER
default_internal_group = $IGROUP
default_login_user = $LUSER
first_valid_uid = 0
mail_location = maildir:$DV/mail/%u
passdb {
  driver = passwd-file
  args = $DV/passwd
}
userdb {
  driver = static
  args = uid=$MUID gid=$MGID home=$DV/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
EOF
dovecot -c "$DV/dovecot.conf" || { echo "Bail out! dovecot did not start"; exit 1; }
stop_imap() { # and wait for its processes to leave the directory
    local pid
    [ -f "$DV/run/master.pid" ] || return 0
    pid=$(cat "$DV/run/master.pid")
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$DV/run/master.pid"
}
IMAP=imap://127.0.0.1:$IMAP_PORT/INBOX
imap_ready() { curl -s -u seam:mailbox-secret -X 'NOOP' "$IMAP" >/dev/null; }
eventually 10 imap_ready || { echo "Bail out! dovecot does not answer"; cat "$DV/log/dovecot.log"; exit 1; }
append() { curl -s -u seam:mailbox-secret -T "$1" "$IMAP"; } # FILE: delivered to the mailbox
unprocessed() { curl -s -u seam:mailbox-secret -X 'UID SEARCH UNKEYWORD SeamProcessed' "$IMAP" | tr -d '\r' | sed -n 's/^\* SEARCH *//p'; }
all_processed() { [ -z "$(unprocessed)" ]; }

cleanup() { stop_sink; stop_imap; }
trap cleanup EXIT

# mails_to ADDR [SUBJECT-WORD]: how many stored messages went to ADDR (their subject decoded has WORD)
mails_to() {
    "$PY" - "$SINK" "$1" "${2:-}" <<'EOF'
import email, email.policy, glob, sys
n = 0
for f in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    if m["X-Envelope-To"] == sys.argv[2] and sys.argv[3] in str(m["Subject"]):
        n += 1
print(n)
EOF
}
has_mail() { [ "$(mails_to "$@")" -ge 1 ]; }
# mail_field ADDR SUBJECT-WORD FIELD: a header of the newest such message, or "body" (decoded)
mail_field() {
    "$PY" - "$SINK" "$1" "$2" "$3" <<'EOF'
import email, email.policy, glob, sys
last = None
for f in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    if m["X-Envelope-To"] == sys.argv[2] and sys.argv[3] in str(m["Subject"]):
        last = m
if last is not None:
    print(last.get_content() if sys.argv[4] == "body" else str(last[sys.argv[4]]))
EOF
}
# count_id MESSAGE-ID: stored messages with that id
count_id() { grep -l -F "Message-ID: $1" "$SINK"/*.eml 2>/dev/null | wc -l; }
