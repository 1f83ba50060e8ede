#include "ssekit/status.h"

#include <stddef.h>

struct status_text {
    int code;
    const char *name;
    const char *text;
};

static const struct status_text table[] = {
    {SSEKIT_OK, "SSEKIT_OK", "success"},
    {SSEKIT_E_STOPPED, "SSEKIT_E_STOPPED", "stopped by a callback"},
    {SSEKIT_E_NOMEM, "SSEKIT_E_NOMEM", "out of memory"},
    {SSEKIT_E_INVALID, "SSEKIT_E_INVALID", "invalid argument"},
    {SSEKIT_E_LINE_TOO_LONG, "SSEKIT_E_LINE_TOO_LONG", "line longer than the line limit"},
    {SSEKIT_E_EVENT_TOO_LARGE, "SSEKIT_E_EVENT_TOO_LARGE", "event larger than the event limit"},
    {SSEKIT_E_STATE, "SSEKIT_E_STATE", "call not allowed in this state"},
    {SSEKIT_E_JSON, "SSEKIT_E_JSON", "malformed JSON"},
    {SSEKIT_E_TOO_DEEP, "SSEKIT_E_TOO_DEEP", "JSON nested deeper than the depth limit"},
    {SSEKIT_E_TOO_LARGE, "SSEKIT_E_TOO_LARGE", "input larger than the size limit"},
    {SSEKIT_E_SCHEMA, "SSEKIT_E_SCHEMA", "value does not satisfy the schema"},
    {SSEKIT_E_ENVELOPE, "SSEKIT_E_ENVELOPE", "provider envelope could not be decoded"},
    {SSEKIT_E_PROVIDER, "SSEKIT_E_PROVIDER", "the provider reported an error"},
    {SSEKIT_E_IO, "SSEKIT_E_IO", "input/output error"},
    {SSEKIT_E_CIRCUIT_OPEN, "SSEKIT_E_CIRCUIT_OPEN", "circuit breaker open for this host"},
    {SSEKIT_E_NO_KEY, "SSEKIT_E_NO_KEY", "no API key"},
};

static const struct status_text *find(int code)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].code == code)
            return &table[i];
    return NULL;
}

const char *ssekit_strerror(int status)
{
    const struct status_text *t = find(status);
    return t ? t->text : "unknown status";
}

const char *ssekit_status_name(int status)
{
    const struct status_text *t = find(status);
    return t ? t->name : "SSEKIT_E_UNKNOWN";
}
