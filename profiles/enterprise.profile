# enterprise: a company-managed device.
# Only whitelisted servers (ServerID + address + TLS key pin) may bootstrap
# the device (enterprise-whitelist, S5) once that policy lands.  Until then
# the spec authority model applies.
[profile]
id = enterprise
description = enterprise-managed device: bootstrap only from whitelisted servers
abi = 1
authority = spec-authority

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

[plugin spec-authority]
option.account_rights = Get,Replace,Delete,Exec

[plugin cp-bootstrap]
# OMA CP documents from every origin the IT department may use; which
# server may bootstrap the device is the bootstrap policy's decision, not
# this source's.
option.origins = push,file,user,factory
