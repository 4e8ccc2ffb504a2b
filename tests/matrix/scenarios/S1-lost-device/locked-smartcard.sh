#!/usr/bin/env bash
# The thief's card: while the device is locked (lib.sh mx_locked: its
# authority boot.server locked it over verified HTTPS, the agent keeps
# running), another operator's card (other.server) is inserted and the
# agent reads it through pcscd (the virtual SIM).  lost-device-lock's
# `locked_smartcard` decides: deny-other-operator refuses every card
# whose ServerID is not the root owner's, allow lets it through.  Nothing
# of the card may land, and the device stays locked.  n/a where the
# profile reads no card.
MX_SIM=1
. "$SRC/tests/matrix/lib.sh"
mx_need_plugin lost-device-lock
mx_sim
mx_card thief other.server b
mx_locked
mx_card_in thief other.server
"$PDM" "${P[@]}" lock status >"$T/lock.txt" 2>&1
expect_in "$T/lock.txt" "state: 10 (fully locked)" "still locked"
"$PDM" "${P[@]}" owner >"$T/owner.txt" 2>&1
expect_in "$T/owner.txt" "root owner: boot.server" "boot.server still owns root"
case $MX_SAW in
*lost-device-lock*) expect_in "$T/audit.txt" "is refused (locked_smartcard = deny-other-operator)" "the refusal names the rule" ;;
esac
stop_agent
mx_outcome "$MX_SAW"
