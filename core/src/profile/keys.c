/*
 * `polydm profile keys`: every key of keys.def with its type and help.
 * A file of its own so that a firmware build drops the help texts
 * (section GC: nothing in libpolydm calls pdm__profile_keys; the CLI,
 * linked with every object, does).
 */
#include "profile/profile.h"
#include "profile/keys.h"

#include <stddef.h>

#include "util/util.h"

static const struct {
    const char *key;
    enum vtype type;
    const char *help;
} keydefs[] = {
#define PDM__KEY(name, type, help) {name, type, help},
#include "profile/keys.def"
#undef PDM__KEY
    {NULL, V_STRING, NULL},
};

const pdm__profile_key *pdm__profile_keys(void)
{
    static pdm__profile_key keys[PDM__ARRAY_LEN(keydefs)];
    static const char *const tn[] = {"string", "id", "bool", "uint16",
                                     "abi", "path", "plugin[/component]",
                                     "size", "percent", "same|any",
                                     "imsi (secret)", "origin list",
                                     "content type", "remove|keep", "2|3",
                                     "never|first-session|always",
                                     "milliseconds", "0..5", "key pin",
                                     "path", "string", "uri", "bool"};
    _Static_assert(PDM__ARRAY_LEN(tn) == V__COUNT, "a name per type");
    for (size_t i = 0; i < PDM__ARRAY_LEN(keydefs); i++) {
        keys[i].key = keydefs[i].key;
        keys[i].type = keydefs[i].key ? tn[keydefs[i].type] : NULL;
        keys[i].help = keydefs[i].help;
    }
    return keys;
}
