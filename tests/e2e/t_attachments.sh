#!/usr/bin/env bash
# Attachments (issue 19, item 5): a file uploaded to a ticket is stored
# whole before the 201 (a kill -9 right after it loses nothing), its type
# judged by its content (magic bytes, UTF-8 text), never by its name or
# declared type; the limits per file and per ticket hold; a text refers to
# attachments by SHA-256 in its signed event; each principal reads only what
# it may see of the note it belongs to (404 otherwise, as for none); served
# as a download with nosniff; in the backup and checked by `seamctl verify`,
# which finds a stored attachment changed or removed.
. "$(dirname "$0")/lib.sh"

conf_with '.limits.max_attachment_bytes = 4096 | .limits.max_attachments_per_ticket = 6
           | .limits.max_attachment_bytes_per_ticket = 10000'
init_store
C1=$(new_customer c1)
C2=$(new_customer c2)
LEAD=$(new_token lead ops)
FIBER=$(new_token partner fibernet)
NORD=$(new_token partner nordtel)
AUD=$(new_token auditor audit-firm)
start_broker

F=$TMP/files
mkdir -p "$F"
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\10\6\0\0\0\x1f\x15\xc4\x89' >"$F/photo.png"
printf '\xff\xd8\xff\xe0\0\x10JFIF\0' >"$F/photo.jpg"
printf '%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n' >"$F/doc.pdf"
printf 'modem log\nsync lost at 08:12\nblå lampe\n' >"$F/modem.txt"
printf 'MZ\x90\0\3\0\0\0\4\0\0\0\xff\xff' >"$F/tool.exe"
printf '<html><script>alert(1)</script></html>' >"$F/page.html"
printf 'bad \xc3\x28 utf-8\n' >"$F/bad.txt"
head -c 5000 /dev/zero | tr '\0' 'a' >"$F/big.txt"
sha() { sha256sum "$1" | cut -d' ' -f1; }
PNG=$(sha "$F/photo.png")
TXT=$(sha "$F/modem.txt")

req POST /v1/tickets "$C1" "$TICKET_BODY"
T=$(jbody .id)
req GET "/v1/tickets/$T" "$LEAD"
A=$(jbody '.assignments[0].id')
check "the ticket went to fibernet" [ "$(jbody '.assignments[0].partner')" = fibernet ]

upload() { # TOKEN FILE TYPE [QUERY]
    req POST "/v1/tickets/$T/attachments${4:+?$4}" "$1" "@$2" "$3"
}

# ---- upload and the content check ----
upload "$C1" "$F/photo.png" image/png "name=router.png"
check "a PNG upload is 201" [ "$STATUS" = 201 ]
check "the answer names it by SHA-256, with its size, checked type and name" \
    [ "$(jbody .sha256)" = "$PNG" -a "$(jbody .size)" = "$(stat -c %s "$F/photo.png")" \
    -a "$(jbody .type)" = image/png -a "$(jbody .name)" = router.png ]
check "Location names it" [ "$(header location)" = "/v1/tickets/$T/attachments/$PNG" ]
# kill -9 right after the 201: it is there after the restart
upload "$C1" "$F/modem.txt" "text/plain; charset=utf-8"
check "a plain UTF-8 text upload is 201" [ "$STATUS" = 201 -a "$(jbody .type)" = text/plain ]
check "an unnamed one gets a name from its hash and type" matches "$(jbody .name)" "^attachment-${TXT:0:12}\.txt$"
kill9_broker
start_broker
req GET "/v1/tickets/$T/attachments/$TXT" "$C1"
check "after kill -9 right after the 201, the upload is there, byte for byte" \
    [ "$STATUS" = 200 -a "$(sha "$TMP/body")" = "$TXT" ]
upload "$C1" "$F/doc.pdf" application/octet-stream
check "application/octet-stream lets the content decide (a PDF)" [ "$STATUS" = 201 -a "$(jbody .type)" = application/pdf ]
PDF=$(jbody .sha256)
upload "$C1" "$F/photo.png" image/png
check "the same bytes again are the same attachment (200, nothing added)" [ "$STATUS" = 200 -a "$(jbody .sha256)" = "$PNG" ]

n_before=$(curl -s -H "Authorization: Bearer $LEAD" "$(URL "/v1/tickets/$T/attachments")" | jq '.items | length')
upload "$C1" "$F/tool.exe" image/png
check "a program declared as an image is refused, naming the problem (415)" \
    [ "$STATUS" = 415 -a "$(jbody .error.code)" = unsupported_media_type ]
check "the refusal says what the content is not" matches "$(jbody .error.message)" "none of the allowed types"
upload "$C1" "$F/doc.pdf" image/png
check "a PDF declared as PNG is 415: declared one type, the content another" \
    matches "$STATUS $(jbody .error.message)" "^415 declared image/png, but the content is a PDF document"
upload "$C1" "$F/page.html" text/html
check "a type outside the list is 415" [ "$STATUS" = 415 ]
upload "$C1" "$F/bad.txt" text/plain
check "text that is not UTF-8 is 415" [ "$STATUS" = 415 ]
req POST "/v1/tickets/$T/attachments?name=photo.png" "$C1" "@$F/tool.exe" image/png
check "a name does not make a type (415)" [ "$STATUS" = 415 ]
upload "$C1" "$F/big.txt" text/plain
check "a file over limits.max_attachment_bytes is 413" [ "$STATUS" = 413 -a "$(jbody .error.code)" = body_too_large ]
req POST "/v1/tickets/$T/attachments" "$C1" "" text/plain
check "an empty body is 400" [ "$STATUS" = 400 ]
req POST "/v1/tickets/$T/attachments?name=..%2Fetc%2Fpasswd" "$C1" "@$F/modem.txt" text/plain
check "a name with a slash is 400 naming the parameter" [ "$STATUS" = 400 -a "$(jbody .error.field)" = name ]
curl -s -o "$TMP/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $C1" \
    --data-binary "@$F/photo.png" "$(URL "/v1/tickets/$T/attachments")" >"$TMP/st"
check "an upload without Content-Type is refused" [ "$(cat "$TMP/st")" = 415 ] || true
n_after=$(curl -s -H "Authorization: Bearer $LEAD" "$(URL "/v1/tickets/$T/attachments")" | jq '.items | length')
check "the refusals stored nothing" [ "$n_before" = "$n_after" -a "$n_after" = 3 ]

# ---- who may upload, who may read ----
upload "$C2" "$F/photo.jpg" image/jpeg
check "another customer cannot upload to the ticket (404)" [ "$STATUS" = 404 ]
upload "$NORD" "$F/photo.jpg" image/jpeg
check "a partner without a claim on it cannot upload (404)" [ "$STATUS" = 404 ]
upload "$AUD" "$F/photo.jpg" image/jpeg
check "an auditor does not upload (404)" [ "$STATUS" = 404 ]
req GET "/v1/tickets/$T/attachments/$PNG" ""
check "without credentials: 401" [ "$STATUS" = 401 ]

# Not yet referred to: the customer's belongs to its complaint (the partners with a claim read it).
req GET "/v1/tickets/$T/attachments/$PNG" "$FIBER"
check "a customer's upload no text refers to belongs to its complaint: the owning partner reads it" \
    [ "$STATUS" = 200 -a "$(sha "$TMP/body")" = "$PNG" ]
req GET "/v1/tickets/$T/attachments/$PNG" "$NORD"
check "... a partner without a claim does not (404)" [ "$STATUS" = 404 ]
req GET "/v1/tickets/$T/attachments/$PNG" "$LEAD"
check "the lead reads it" [ "$STATUS" = 200 -a "$(sha "$TMP/body")" = "$PNG" ]
req GET "/v1/tickets/$T/attachments/$PNG" "$C1"
check "the uploader reads it, with its checked type" [ "$STATUS" = 200 -a "$(header content-type)" = image/png ]
check "nosniff" [ "$(header x-content-type-options)" = nosniff ]
check "an image of a checked type is inline, with its name" [ "$(header content-disposition)" = 'inline; filename="router.png"' ]
req GET "/v1/tickets/$T/attachments/$PDF" "$C1"
check "a PDF is served as a download (Content-Disposition: attachment)" \
    matches "$(header content-disposition)" '^attachment; filename="attachment-'
req GET "/v1/tickets/$T/attachments/$PNG" "$C2"
check "another customer: 404" [ "$STATUS" = 404 ]
req GET "/v1/tickets/$T/attachments/$(printf '%064d' 0)" "$C1"
check "an unknown attachment: the same 404" [ "$STATUS" = 404 -a "$(jbody .error.code)" = not_found ]

# The customer's note refers to the photo: its signed event names it.
req POST "/v1/tickets/$T/notes" "$C1" "{\"text\":\"A photo of the router\",\"attachments\":[\"$PNG\"]}"
check "a note refers to an attachment (200)" [ "$STATUS" = 200 ]
req GET "/v1/tickets/$T/attachments/$PNG" "$FIBER"
check "the owning partner reads an attachment of the customer's note" [ "$STATUS" = 200 -a "$(sha "$TMP/body")" = "$PNG" ]
req GET "/v1/tickets/$T/attachments/$PNG" "$NORD"
check "a partner without a claim: 404" [ "$STATUS" = 404 ]
req GET "/v1/tickets/$T/attachments/$TXT" "$NORD"
check "nor the customer's unreferred log (404)" [ "$STATUS" = 404 ]
req POST "/v1/tickets/$T/notes" "$C1" "{\"text\":\"x\",\"attachments\":[\"$(printf '%064d' 0)\"]}"
check "a note naming an attachment the ticket lacks is 400 naming the field" \
    [ "$STATUS" = 400 -a "$(jbody .error.field)" = attachments ]
req POST "/v1/tickets/$T/notes" "$C1" '{"text":"x","attachments":["not-a-hash"]}'
check "a malformed name is 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = attachments ]
req POST "/v1/tickets/$T/notes" "$C1" "{\"text\":\"x\",\"attachments\":[\"$PNG\",\"$PNG\"]}"
check "the same attachment twice is 400" [ "$STATUS" = 400 ]

# The partner's internal progress note with its modem log: the customer never sees it.
req POST "/v1/assignments/$A/ack" "$FIBER" '{}'
printf 'line test: fail at port 7\n' >"$F/linetest.txt"
upload "$FIBER" "$F/linetest.txt" text/plain
check "the owning partner uploads (201)" [ "$STATUS" = 201 ]
LT=$(jbody .sha256)
req GET "/v1/tickets/$T/attachments/$LT" "$C1"
check "a partner's upload no text refers to: not the customer's (404)" [ "$STATUS" = 404 ]
req POST "/v1/assignments/$A/progress" "$FIBER" "{\"note\":\"line test\",\"attachments\":[\"$LT\"]}"
check "an internal progress note refers to it" [ "$STATUS" = 200 ]
req GET "/v1/tickets/$T/attachments/$LT" "$C1"
check "the customer cannot read an attachment of an internal note (404)" [ "$STATUS" = 404 ]
req GET "/v1/tickets/$T/attachments/$LT" "$LEAD"
check "the lead can" [ "$STATUS" = 200 ]
req GET "/v1/tickets/$T/attachments/$LT" "$AUD"
check "an auditor can" [ "$STATUS" = 200 ]
req POST "/v1/tickets/$T/notes" "$C1" "{\"text\":\"x\",\"attachments\":[\"$LT\"]}"
check "the customer cannot refer to an attachment it may not read (400, as if none)" [ "$STATUS" = 400 ]
# A question to the customer with a photo: public, so the customer reads it.
upload "$FIBER" "$F/photo.jpg" image/jpeg
JPG=$(jbody .sha256)
req GET "/v1/tickets/$T/attachments/$JPG" "$C1"
check "the partner's photo, not yet in a text: not the customer's (404)" [ "$STATUS" = 404 ]
req POST "/v1/assignments/$A/need-info" "$FIBER" "{\"question\":\"Is this your socket?\",\"attachments\":[\"$JPG\"]}"
check "a question to the customer refers to it" [ "$STATUS" = 200 ]
req GET "/v1/tickets/$T/attachments/$JPG" "$C1"
check "the customer reads the attachment of a question it was asked" [ "$STATUS" = 200 -a "$(sha "$TMP/body")" = "$JPG" ]
req GET "/v1/tickets/$T/attachments" "$C1"
check "the customer's list: its own three and the question's photo, not the partner's log" \
    [ "$(jbody '[.items[].sha256] | sort | join(",")')" = "$(printf '%s\n' "$PNG" "$TXT" "$PDF" "$JPG" | sort | paste -sd,)" ]
check "the list says which event refers to the photo" [ "$(jbody ".items[] | select(.sha256 == \"$PNG\") | .events[0].type")" = ticket.note ]
req GET "/v1/tickets/$T/attachments" "$FIBER"
check "the partner's list: the customer's files and its own" \
    [ "$(jbody '[.items[].sha256] | sort | join(",")')" = "$(printf '%s\n' "$PNG" "$TXT" "$PDF" "$LT" "$JPG" | sort | paste -sd,)" ]
req GET "/v1/tickets/$T/attachments" "$C2"
check "another customer's list: 404" [ "$STATUS" = 404 ]
# The TMF621 face: AttachmentRef references to what the reader may read.
req GET "/tmf-api/troubleTicket/v4/troubleTicket/$T" "$C1"
check "TMF621: the customer's ticket names its photo as an AttachmentRef with its url" \
    [ "$(jbody ".attachment[] | select(.id == \"$PNG\") | .url")" = "/v1/tickets/$T/attachments/$PNG" ]
check "... its type and size" [ "$(jbody ".attachment[] | select(.id == \"$PNG\") | .mimeType + \" \" + (.size.amount | tostring)")" = "image/png $(stat -c %s "$F/photo.png")" ]
refute "... and not the partner's internal log" grep -q "$LT" "$TMP/body"
req GET "/tmf-api/troubleTicket/v4/troubleTicket/$T" "$FIBER"
check "TMF621: the partner's names the same five" \
    [ "$(jbody '[.attachment[].id] | sort | join(",")')" = "$(printf '%s\n' "$PNG" "$TXT" "$PDF" "$LT" "$JPG" | sort | paste -sd,)" ]
req GET "/tmf-api/troubleTicket/v4/troubleTicket/$T" "$NORD"
check "TMF621: a partner without a claim: 404" [ "$STATUS" = 404 ]

# ---- the signed events and the evidence per principal ----
req GET "/v1/tickets/$T/evidence" "$LEAD"
ev_open "$TMP/body" >"$TMP/lead.ev"
check "the note's signed event names the photo by SHA-256" \
    [ "$(jq -r '[.[] | select(.type? == "ticket.note") | .data.attachments[]] | join(",")' "$TMP/lead.ev")" = "$PNG" ]
req GET "/v1/tickets/$T/evidence" "$C1"
ev_open "$TMP/body" >"$TMP/c1.ev"
check "the customer's export names its photo" grep -q "$PNG" "$TMP/c1.ev"
refute "the customer's export does not name the partner's internal attachment" grep -q "$LT" "$TMP/body"
req GET "/v1/tickets/$T/evidence" "$NORD"
check "evidence of a ticket a partner has no claim on: 404" [ "$STATUS" = 404 ]
# Handed to nordtel: it reads the customer's files and the question's photo, never fibernet's
# internal log; its evidence export names the one and not the other.
req POST "/v1/assignments/$A/handback" "$FIBER" '{"reason":"belongs_to","partner":"nordtel","note":"The phone socket."}'
check "fibernet hands the claim to nordtel" [ "$STATUS" = 200 ]
printf 'after the hand-back\n' >"$F/late.txt"
upload "$FIBER" "$F/late.txt" text/plain
check "fibernet, its claim handed back, reads the ticket but adds no attachment (409)" \
    [ "$STATUS" = 409 -a "$(jbody .error.code)" = conflict ]
req GET "/v1/tickets/$T/attachments" "$LEAD"
refute "... and nothing was added" grep -q "$(sha "$F/late.txt")" "$TMP/body"
for f in "$PNG" "$TXT" "$PDF" "$JPG"; do
    req GET "/v1/tickets/$T/attachments/$f" "$NORD"
    check "the next partner reads ${f:0:8} (the customer's, or on the customer's timeline)" [ "$STATUS" = 200 ]
done
req GET "/v1/tickets/$T/attachments/$LT" "$NORD"
check "the next partner cannot read the first one's internal log (404)" [ "$STATUS" = 404 ]
req GET "/v1/tickets/$T/evidence" "$NORD"
check "the next partner's evidence export names the customer's photo" grep -q "$PNG" "$TMP/body"
refute "... and not the first partner's internal log" grep -q "$LT" "$TMP/body"
cp "$TMP/body" "$TMP/nord.evidence"
check "... and verifies offline" "$SEAMCTL" verify-evidence "$TMP/nord.evidence" --key "$DATA/broker.pub"
req GET "/v1/tickets/$T/evidence" "$C1"
cp "$TMP/body" "$TMP/c1.evidence"
check "the customer's export, naming its attachments, verifies offline" \
    "$SEAMCTL" verify-evidence "$TMP/c1.evidence" --key "$DATA/broker.pub"
ctl verify >"$TMP/verify.out" 2>&1 || true
check "seamctl verify passes the store with its attachments" grep -q '^ok:' "$TMP/verify.out"

# ---- limits per ticket ----
printf 'one\n' >"$F/1.txt"; printf 'two\n' >"$F/2.txt"; printf 'three\n' >"$F/3.txt"
upload "$C1" "$F/1.txt" text/plain
check "the sixth attachment is taken" [ "$STATUS" = 201 ]
upload "$C1" "$F/2.txt" text/plain
check "the seventh passes limits.max_attachments_per_ticket: 409 ticket_full" \
    [ "$STATUS" = 409 -a "$(jbody .error.code)" = ticket_full ]
check "the refusal names the limit" matches "$(jbody .error.message)" max_attachments_per_ticket
req POST /v1/tickets "$C1" "$TICKET_BODY"
T2=$(jbody .id)
head -c 4000 /dev/zero | tr '\0' 'b' >"$F/b1.txt"
head -c 4000 /dev/zero | tr '\0' 'c' >"$F/b2.txt"
head -c 4000 /dev/zero | tr '\0' 'd' >"$F/b3.txt"
for f in b1 b2; do req POST "/v1/tickets/$T2/attachments" "$C1" "@$F/$f.txt" text/plain; done
req POST "/v1/tickets/$T2/attachments" "$C1" "@$F/b3.txt" text/plain
check "passing limits.max_attachment_bytes_per_ticket: 409 naming it" \
    matches "$STATUS $(jbody .error.message)" "^409 .*max_attachment_bytes_per_ticket"
req POST "/v1/tickets/$T2/cancel" "$C1" '{}'
upload_t2() { req POST "/v1/tickets/$T2/attachments" "$C1" "@$F/1.txt" text/plain; }
upload_t2
check "a cancelled ticket takes no upload (409)" [ "$STATUS" = 409 ]

# ---- backup, restore, and tampering found ----
ctl backup "$TMP/bk" >/dev/null 2>&1
check "seamctl backup" [ -f "$TMP/bk/data.mdb" ]
stop_broker
"$SEAMCTL" restore "$TMP/bk" "$TMP/restored" >"$TMP/restore.out" 2>&1
check "seamctl restore of the backup verifies" grep -q '^restored' "$TMP/restore.out"
DATA_SAVED=$DATA
DATA=$TMP/restored
start_broker
req GET "/v1/tickets/$T/attachments/$PNG" "$FIBER"
check "the restored store serves the attachment, byte for byte" [ "$STATUS" = 200 -a "$(sha "$TMP/body")" = "$PNG" ]
stop_broker
DATA=$DATA_SAVED

# Tamper: change one byte of the stored modem log (its bytes are in the map file as stored).
cp -a "$DATA" "$TMP/tamper"
python3 - "$TMP/tamper/data.mdb" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
# every copy LMDB holds (a page copied on write keeps the old one among the free pages)
n = 0
i = b.find(b"sync lost at 08:12")
while i >= 0:
    b[i] = ord("S")
    n += 1
    i = b.find(b"sync lost at 08:12", i + 1)
assert n > 0, "the stored log was not found"
open(p, "wb").write(bytes(b))
PY
"$SEAMCTL" -d "$TMP/tamper" -c "$CONF" verify >"$TMP/tv.out" 2>&1
check "seamctl verify fails on a changed attachment" [ $? -ne 0 ]
check "and names it" grep -q "attachment $TXT of ticket $T: its bytes do not hash" "$TMP/tv.out"
# Tamper: the photo's bytes changed in place: verify names the event that refers to it.
cp -a "$DATA" "$TMP/tamper2"
python3 - "$TMP/tamper2/data.mdb" "$F/photo.png" <<'PY'
import sys
p, f = sys.argv[1], sys.argv[2]
b = bytearray(open(p, "rb").read())
png = open(f, "rb").read()
n = 0
i = b.find(png)
while i >= 0:
    b[i + len(png) - 1] ^= 1
    n += 1
    i = b.find(png, i + 1)
assert n > 0
open(p, "wb").write(bytes(b))
PY
"$SEAMCTL" -d "$TMP/tamper2" -c "$CONF" verify >"$TMP/tv2.out" 2>&1
check "a referred attachment changed: verify names the event that refers to it" \
    grep -q "ticket $T: event [0-9]* names attachment $PNG, whose bytes fail their hash" "$TMP/tv2.out"
DATA=$TMP/tamper2
start_broker
req GET "/v1/tickets/$T/attachments/$PNG" "$LEAD"
check "the broker does not serve bytes that fail their hash (500)" [ "$STATUS" = 500 ]
stop_broker
DATA=$DATA_SAVED
start_broker
finish
