# open-market: a user-owned phone sold unlocked.
# Who controls the device: the user.  Nobody owns root (spec-authority);
# each DM server keeps the subtree it created (isolation, S11); the user
# may edit ACLs, delete accounts and re-bootstrap.  terminal-policy is
# loaded with permissive options, keeping only the rules no market should
# drop: a user PIN never makes a root owner (S6).  This is also the default
# profile of a plain build.
[profile]
id = open-market
description = user-owned device: spec authority model, no operator root owner
abi = 1
authority = spec-authority

[device]
devid = IMEI:493005100592800
man = polydm
mod = reference-device
lang = en
devtyp = phone
oem = polydm
fwv = 1.0
swv = 1.0
hwv = 1.0
max_depth = 16
max_tot_len = 1024
max_seg_len = 64

[plugin spec-authority]
# A bootstrapped server gets these rights on its own account node.
option.account_rights = Get,Replace,Delete

[plugin cp-bootstrap]
# OMA CP documents the user receives by push or opens from a file; the
# core still verifies SEC/MAC and asks the user for a PIN where needed.
option.origins = push,file,user,factory

[plugin lost-device-lock]
# LAWMO lock, unlock, wipe and factory reset (S1, docs/lawmo.md).  Nobody
# owns root on this market, so the authority allowed to lock, unlock and
# wipe is named: the device owner's own DM service, and no other server.
# demo.server is the demo's (scripts/demo.sh); an OEM sets the ServerID of
# the service its owners use.  While locked every local change is refused
# (the thief cannot re-bootstrap, take over or delete the account).
# Before terminal-policy, so that a refusal while locked is audited as the
# lock's.
option.lock_authority = demo.server
option.locked_deny = all

[plugin terminal-policy]
option.precedence = first
option.privileged_userpin = deny
option.cp_rebootstrap = allow
option.user_acl_edit = always
option.user_takeover = allow
option.user_account_delete = allow
option.secrets_tls_only = false

[bootstrap]
# The user may re-bootstrap (terminal-policy cp_rebootstrap = allow): a
# correctly signed document for a ServerID the device knows replaces that
# account (nothing is merged: the old account goes, the new one is still
# judged by the policies and the authority).  The other markets keep the
# core's default, a refusal (PDM_EEXISTS).
replace_existing = true
