# gsm-operator: a GSM/UMTS operator market (3GPP).
# Who controls the device: the operator.  Its server is bootstrapped from
# the SIM (sim-bootstrap, optional: a device or build without a smart-card
# reader runs without it) or by an IMSI-keyed CP push (NETWPIN or
# USERNETWPIN), and operator-root makes it the root owner: its rights
# cover the tree, other servers keep only the subtrees they create and
# cannot touch the operator's (isolation, S11), and the user cannot move
# root.  terminal-policy: the card's account wins over a pushed one
# (precedence), a user PIN never makes a root owner (S6), a CP push never
# replaces an existing account, the user edits no ACL and takes nothing
# over (S3/S4), credentials travel only over verified TLS (S9).
[profile]
id = gsm-operator
description = GSM operator: SIM/NETWPIN-bootstrapped operator controls the device
abi = 1
authority = operator-root

[device]
devid = IMEI:490154203237518
man = polydm
mod = gsm-reference
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
# OMA CP documents (w7 DM accounts) are taken from the operator's WAP push
# (NETWPIN/USERNETWPIN, verified by the core), the factory image and the
# SIM; not from files a user names.
option.origins = push,factory,smartcard

[plugin sim-bootstrap]
# The DM bootstrap file of the SIM/UICC over PC/SC.  Optional (seed S14):
# a build without libpcsclite (PDM_WITH_PCSC=OFF) has no such module and
# the profile loads without it.  Only bootstrap sources and MO handlers
# may be optional.
optional = true

[bootstrap]
# Documents on the card carry no SEC/MAC (plugins/sim-bootstrap/README.md):
# the card is trusted as the factory image is.
unsigned_origins = factory,smartcard

[plugin operator-root]
# Only the SIM or an IMSI-keyed push makes the operator (S5/S6).  A market
# can also pin the operator's address to the home network of the IMSI:
#   option.address_pattern = https://dm.mnc{mnc3}.mcc{mcc}.pub.3gppnetwork.org/*
option.operator_secs = NETWPIN,USERNETWPIN

[plugin lost-device-lock]
# LAWMO lock, unlock, wipe and factory reset (S1, docs/lawmo.md).  Only the
# root owner (the operator) may Exec or Replace in ./LAWMO; while the
# device is locked every local change is refused, and a smart card of
# another operator bootstraps nothing.  Before terminal-policy, so that a
# refusal while locked is audited as the lock's.
option.lock_authority = root-owner
option.locked_deny = all
option.locked_smartcard = deny-other-operator

[plugin terminal-policy]
option.smartcard = on
option.precedence = smartcard
option.privileged_userpin = deny
option.cp_rebootstrap = deny
option.user_acl_edit = cp-only
option.user_takeover = deny
option.user_account_delete = deny
option.secrets_tls_only = true
