# cdma-3gpp2: a 3GPP2 (CDMA) operator market.
# Who controls the device: the operator, until the user hands root to
# another known server.  3gpp2-takeover gives root to the operator's
# IMSI-keyed CP push (root_on_netwpin) and lets the user move root
# ownership to another bootstrapped server after confirming (the
# "friendly takeover", S3; refused while the device is locked).  No smart
# card provisions DM accounts here (S2).  terminal-policy: a user PIN never
# makes a root owner (S6), a CP push never replaces an existing account,
# the user edits no ACL (S4), credentials travel only over verified TLS
# (S9).
[profile]
id = cdma-3gpp2
description = 3GPP2 operator: user-confirmed friendly takeover of root
abi = 1
authority = 3gpp2-takeover

[device]
devid = MEID:A0000000002329
man = polydm
mod = cdma-reference
lang = en
devtyp = phone
oem = polydm
fwv = 1.0
swv = 1.0
hwv = 1.0
max_depth = 16
max_tot_len = 1024
max_seg_len = 64

[plugin cp-bootstrap]
# OMA CP documents from the operator's WAP push and the factory image.
# NETWPIN needs an IMSI (IMSI_M on 3GPP2); without one only USERPIN
# documents can be verified (the core refuses the others).
option.origins = push,factory

[plugin 3gpp2-takeover]
option.root_on_netwpin = true
option.allow_takeover = true

[plugin lost-device-lock]
# LAWMO lock, unlock, wipe and factory reset (S1, docs/lawmo.md).  Only the
# root owner (the carrier's server, per 3gpp2-takeover) may Exec or Replace
# in ./LAWMO; while the device is locked every local change is refused,
# the friendly takeover included.  Before terminal-policy, so that a
# refusal while locked is audited as the lock's.
option.lock_authority = root-owner
option.locked_deny = all

[plugin terminal-policy]
option.smartcard = off
option.precedence = ota
option.privileged_userpin = deny
option.cp_rebootstrap = deny
option.user_acl_edit = cp-only
option.user_takeover = allow
option.secrets_tls_only = true

[bootstrap]
disabled_origins = smartcard
