# cdma-3gpp2: a 3GPP2 (CDMA) operator market.
# The operator owns root; the user may hand root ownership to another known
# server after confirming ("friendly takeover", S3) once the 3gpp2-takeover
# authority lands.  Until then the spec authority model applies.
[profile]
id = cdma-3gpp2
description = 3GPP2 operator: user-confirmed friendly takeover of root
abi = 1
authority = spec-authority

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

[plugin spec-authority]
option.account_rights = Get,Replace,Delete

[plugin cp-bootstrap]
# OMA CP documents from the operator's WAP push and the factory image.
# NETWPIN needs an IMSI (IMSI_M on 3GPP2); without one only USERPIN
# documents can be verified (the core refuses the others).
option.origins = push,factory
