# enterprise: a company-managed device.
# Who controls the device: the enterprise.  enterprise-whitelist lets only
# listed servers (ServerID + https address pattern + TLS key pin) bootstrap
# the device, be contacted or run a session (S5); the listed owner server
# owns root; the list changes only through that server or a factory reset.
# No smart card provisions the device (S2).  terminal-policy: only
# USERNETWPIN over the air (NETWPIN alone rests on the IMSI), the user
# edits no ACL, takes nothing over and deletes no account (S3/S4/S12),
# credentials travel only over verified TLS (S9).
# The entries below are examples: an enterprise replaces them with its own
# servers and key pins (the device refuses every other server).
[profile]
id = enterprise
description = enterprise-managed device: bootstrap only from whitelisted servers
abi = 1
authority = enterprise-whitelist

[device]
devid = IMEI:356938035643809
man = polydm
mod = enterprise-reference
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
# OMA CP documents from every origin the IT department may use; which
# server may bootstrap the device is the bootstrap policy's decision, not
# this source's.
option.origins = push,file,user,factory

[plugin enterprise-whitelist]
option.entry.1 = corp.example https://dm.corp.example/dm sha256//ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs= owner

[plugin lost-device-lock]
# LAWMO lock, unlock, wipe and factory reset (S1, docs/lawmo.md).  Only the
# root owner (the whitelist's owner server) may Exec or Replace in
# ./LAWMO; while the device is locked every local change is refused.
# Before terminal-policy, so that a refusal while locked is audited as the
# lock's.
option.lock_authority = root-owner
option.locked_deny = all

[plugin terminal-policy]
option.smartcard = off
option.require_usernetwpin = true
# Over the air only USERNETWPIN (the header's rule): NETWPIN alone rests
# on the IMSI, USERPIN/USERPINMAC alone on a PIN a rogue CP server can
# talk the user into typing (seed S6).
option.push_secs = USERNETWPIN
option.privileged_userpin = deny
option.cp_rebootstrap = deny
option.user_acl_edit = never
option.user_takeover = deny
option.user_account_delete = deny
option.secrets_tls_only = true

[bootstrap]
disabled_origins = smartcard
