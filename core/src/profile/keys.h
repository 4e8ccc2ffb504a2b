/*
 * The value types of profile keys (keys.def), shared by the parser
 * (profile.c) and the key listing (keys.c).  Internal to the profile
 * module.
 */
#ifndef PDM_PROFILE_KEYS_H
#define PDM_PROFILE_KEYS_H

enum vtype {
    V_STRING, V_ID, V_BOOL, V_UINT16, V_ABI, V_PATH, V_REF, V_SIZE,
    V_PERCENT, V_RESPURI_HOST, V_IMSI, V_ORIGINS, V_BS_CTYPE, V_BS_REMOVED,
    V_MNC_DIGITS, V_PKG0_RESYNC, V_MS, V_RETRIES, V_PIN,
    /* [plugin <name>] keys: parsed by plugin_key(), listed from here */
    V_PLUGIN_PATH, V_PLUGIN_OPTION, V_PLUGIN_MO, V_PLUGIN_OPTIONAL,
    V__COUNT
};

#endif
