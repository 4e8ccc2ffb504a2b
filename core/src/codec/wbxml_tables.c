/*
 * OMA CP PROV 1.0 attribute tables for the WBXML codec (see wbxml_int.h).
 * Token values: ../shared/spec/omadm-facts.md §9.3 (libwbxml, Wireshark and
 * Mozilla agree except for the AAUTHTYPE pieces, handled in wbxml.c).
 */
#include "codec/wbxml_int.h"

#define PDM__A(tok, nm, pfx) [(tok)&0x7F] = {nm, pfx, sizeof(pfx) - 1},
#define N(tok, pfx) PDM__A(tok, "name", pfx)
#define T(tok, pfx) PDM__A(tok, "type", pfx)

const pdm__wbxml_astart pdm__prov_astart[2][128] = {
    {
        /* code page 0 */
        N(0x05, "") PDM__A(0x06, "value", "")
        N(0x07, "NAME") N(0x08, "NAP-ADDRESS") N(0x09, "NAP-ADDRTYPE")
        N(0x0A, "CALLTYPE") N(0x0B, "VALIDUNTIL") N(0x0C, "AUTHTYPE")
        N(0x0D, "AUTHNAME") N(0x0E, "AUTHSECRET") N(0x0F, "LINGER")
        N(0x10, "BEARER") N(0x11, "NAPID") N(0x12, "COUNTRY")
        N(0x13, "NETWORK") N(0x14, "INTERNET") N(0x15, "PROXY-ID")
        N(0x16, "PROXY-PROVIDER-ID") N(0x17, "DOMAIN") N(0x18, "PROVURL")
        N(0x19, "PXAUTH-TYPE") N(0x1A, "PXAUTH-ID") N(0x1B, "PXAUTH-PW")
        N(0x1C, "STARTPAGE") N(0x1D, "BASAUTH-ID") N(0x1E, "BASAUTH-PW")
        N(0x1F, "PUSHENABLED") N(0x20, "PXADDR") N(0x21, "PXADDRTYPE")
        N(0x22, "TO-NAPID") N(0x23, "PORTNBR") N(0x24, "SERVICE")
        N(0x25, "LINKSPEED") N(0x26, "DNLINKSPEED") N(0x27, "LOCAL-ADDR")
        N(0x28, "LOCAL-ADDRTYPE") N(0x29, "CONTEXT-ALLOW") N(0x2A, "TRUST")
        N(0x2B, "MASTER") N(0x2C, "SID") N(0x2D, "SOC")
        N(0x2E, "WSP-VERSION") N(0x2F, "PHYSICAL-PROXY-ID")
        N(0x30, "CLIENT-ID") N(0x31, "DELIVERY-ERR-SDU")
        N(0x32, "DELIVERY-ORDER") N(0x33, "TRAFFIC-CLASS")
        N(0x34, "MAX-SDU-SIZE") N(0x35, "MAX-BITRATE-UPLINK")
        N(0x36, "MAX-BITRATE-DNLINK") N(0x37, "RESIDUAL-BER")
        N(0x38, "SDU-ERROR-RATIO") N(0x39, "TRAFFIC-HANDL-PRIO")
        N(0x3A, "TRANSFER-DELAY") N(0x3B, "GUARANTEED-BITRATE-UPLINK")
        N(0x3C, "GUARANTEED-BITRATE-DNLINK") N(0x3D, "PXADDR-FQDN")
        N(0x3E, "PROXY-PW") N(0x3F, "PPGAUTH-TYPE")
        PDM__A(0x45, "version", "") PDM__A(0x46, "version", "1.0")
        N(0x47, "PULLENABLED") N(0x48, "DNS-ADDR") N(0x49, "MAX-NUM-RETRY")
        N(0x4A, "FIRST-RETRY-TIMEOUT") N(0x4B, "REREG-THRESHOLD")
        N(0x4C, "T-BIT") N(0x4E, "AUTH-ENTITY") N(0x4F, "SPI")
        T(0x50, "") T(0x51, "PXLOGICAL") T(0x52, "PXPHYSICAL") T(0x53, "PORT")
        T(0x54, "VALIDITY") T(0x55, "NAPDEF") T(0x56, "BOOTSTRAP")
        T(0x57, "VENDORCONFIG") T(0x58, "CLIENTIDENTITY")
        T(0x59, "PXAUTHINFO") T(0x5A, "NAPAUTHINFO") T(0x5B, "ACCESS")
    },
    {
        /* code page 1 */
        N(0x05, "") PDM__A(0x06, "value", "") N(0x07, "NAME")
        N(0x14, "INTERNET") N(0x1C, "STARTPAGE") N(0x22, "TO-NAPID")
        N(0x23, "PORTNBR") N(0x24, "SERVICE") N(0x2E, "AACCEPT")
        N(0x2F, "AAUTHDATA") N(0x30, "AAUTHLEVEL") N(0x31, "AAUTHNAME")
        N(0x32, "AAUTHSECRET") N(0x33, "AAUTHTYPE") N(0x34, "ADDR")
        N(0x35, "ADDRTYPE") N(0x36, "APPID") N(0x37, "APROTOCOL")
        N(0x38, "PROVIDER-ID") N(0x39, "TO-PROXY") N(0x3A, "URI")
        N(0x3B, "RULE")
        T(0x50, "") T(0x53, "PORT") T(0x55, "APPLICATION") T(0x56, "APPADDR")
        T(0x57, "APPAUTH") T(0x58, "CLIENTIDENTITY") T(0x59, "RESOURCE")
    },
};

#undef N
#undef T
#undef PDM__A

#define V(tok, s) [(tok)&0x7F] = s,

const char *const pdm__prov_avalue[2][128] = {
    {
        /* code page 0 */
        V(0x85, "IPV4") V(0x86, "IPV6") V(0x87, "E164") V(0x88, "ALPHA")
        V(0x89, "APN") V(0x8A, "SCODE") V(0x8B, "TETRA-ITSI") V(0x8C, "MAN")
        V(0x90, "ANALOG-MODEM") V(0x91, "V.120") V(0x92, "V.110")
        V(0x93, "X.31") V(0x94, "BIT-TRANSPARENT")
        V(0x95, "DIRECT-ASYNCHRONOUS-DATA-SERVICE") V(0x9A, "PAP")
        V(0x9B, "CHAP") V(0x9C, "HTTP-BASIC") V(0x9D, "HTTP-DIGEST")
        V(0x9E, "WTLS-SS") V(0x9F, "MD5") V(0xA2, "GSM-USSD")
        V(0xA3, "GSM-SMS") V(0xA4, "ANSI-136-GUTS") V(0xA5, "IS-95-CDMA-SMS")
        V(0xA6, "IS-95-CDMA-CSD") V(0xA7, "IS-95-CDMA-PACKET")
        V(0xA8, "ANSI-136-CSD") V(0xA9, "ANSI-136-GPRS") V(0xAA, "GSM-CSD")
        V(0xAB, "GSM-GPRS") V(0xAC, "AMPS-CDPD") V(0xAD, "PDC-CSD")
        V(0xAE, "PDC-PACKET") V(0xAF, "IDEN-SMS") V(0xB0, "IDEN-CSD")
        V(0xB1, "IDEN-PACKET") V(0xB2, "FLEX/REFLEX") V(0xB3, "PHS-SMS")
        V(0xB4, "PHS-CSD") V(0xB5, "TETRA-SDS") V(0xB6, "TETRA-PACKET")
        V(0xB7, "ANSI-136-GHOST") V(0xB8, "MOBITEX-MPAK")
        V(0xB9, "CDMA2000-1X-SIMPLE-IP") V(0xBA, "CDMA2000-1X-MOBILE-IP")
        V(0xC5, "AUTOBAUDING") V(0xCA, "CL-WSP") V(0xCB, "CO-WSP")
        V(0xCC, "CL-SEC-WSP") V(0xCD, "CO-SEC-WSP") V(0xCE, "CL-SEC-WTA")
        V(0xCF, "CO-SEC-WTA") V(0xD0, "OTA-HTTP-TO") V(0xD1, "OTA-HTTP-TLS-TO")
        V(0xD2, "OTA-HTTP-PO") V(0xD3, "OTA-HTTP-TLS-PO") V(0xE0, "AAA")
        V(0xE1, "HA")
    },
    {
        /* code page 1 */
        V(0x86, "IPV6") V(0x87, "E164") V(0x88, "ALPHA") V(0x8D, "APPSRV")
        V(0x8E, "OBEX") V(0x90, ",") V(0x91, "HTTP-") V(0x92, "BASIC")
        V(0x93, "DIGEST")
    },
};

#undef V
