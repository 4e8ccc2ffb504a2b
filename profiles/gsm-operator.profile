# gsm-operator: a GSM/UMTS operator market (3GPP).
# The operator bootstraps the device from the SIM (sim-bootstrap, optional:
# a device or build without a smart-card reader runs without it) or by
# NETWPIN/USERNETWPIN CP push and owns the management tree.  The
# operator-root authority, terminal-policy and lost-device-lock plugins
# join this profile as they are implemented; until then the spec authority
# model applies.
[profile]
id = gsm-operator
description = GSM operator: SIM/NETWPIN-bootstrapped operator controls the device
abi = 1
authority = spec-authority

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

[plugin spec-authority]
option.account_rights = Get,Replace,Delete

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
