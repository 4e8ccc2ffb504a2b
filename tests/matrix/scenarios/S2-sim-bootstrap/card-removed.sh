#!/usr/bin/env bash
# The seed: "accounts from a removed card are removed".  The operator's
# card (card.server) is inserted while the agent runs and provisions the
# device; then it is taken out.  The agent sees it go (the plugin's
# reader watch) and the core applies bootstrap.removed_source (default
# remove; no shipped profile sets keep).  Allowed: card.server's account
# is gone, audited BootstrapSourceGone naming the card's ICCID and
# `removed`, and nobody owns root any more; `refused by core`: the core
# kept it.  n/a where the profile reads no card.
MX_SIM=1
. "$SRC/tests/matrix/lib.sh"
mx_sim
mx_device
mx_list card.server 'https://127.0.0.1:9/*'
mx_card op card.server
mx_agent || mx_outcome "agent did not start"
mx_card_in op card.server
[ "$MX_SAW" = allowed ] || mx_outcome "error: the card's own bootstrap was $MX_SAW"
mx_remove
mx_card_gone "$MX_ICCID"
"$PDM" "${P[@]}" owner >"$T/owner.txt" 2>&1
sed 's/^/     /' "$T/owner.txt"
stop_agent
case $MX_GONE in
removed)
  account_of card.server && fail "removed, yet $ACC is there"
  expect_not_in "$T/owner.txt" "root owner: card.server" "card.server owns root no more"
  mx_outcome allowed ;;
kept)
  account_of card.server || fail "kept, yet no account of card.server"
  mx_outcome "refused by core" ;;
*) mx_outcome "error: BootstrapSourceGone says '$MX_GONE'" ;;
esac
