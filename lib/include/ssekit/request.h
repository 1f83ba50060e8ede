/* ssekit — provider presets: an ssekit_request (URL, headers, JSON body)
 * built for the streaming endpoint of OpenAI chat completions, Anthropic
 * Messages or OpenAI Responses, asking for structured output when a JSON
 * schema is given.
 *
 *     ssekit_preset p = {.provider = SSEKIT_PROVIDER_OPENAI, .model = "gpt-4o-mini",
 *                        .prompt = "Triage this review: ...", .schema = schema_text};
 *     ssekit_request rq;
 *     char err[256];
 *     if (ssekit_request_build(&p, NULL, &rq, err, sizeof err) != SSEKIT_OK)
 *         fprintf(stderr, "%s\n", err);          // never contains the key
 *     else {
 *         ssekit_stream_open(client, &rq, &s);    // copies what it needs
 *         ... drive s ...
 *         ssekit_stream_free(s);                  // before the schema dies
 *         ssekit_request_clear(&rq, NULL);
 *     }
 *
 * Bodies (keys in this order; members in brackets only when set):
 *
 *   OpenAI chat   POST BASE/chat/completions
 *     {"model", "messages": [{"role", "content"}...], "stream": true,
 *      "stream_options": {"include_usage": true}, ["temperature"],
 *      ["max_tokens"], ["response_format": {"type": "json_schema",
 *      "json_schema": {"name", "strict": true, "schema"}}]}
 *     A `system` text becomes a first message with role "system".
 *
 *   Anthropic     POST BASE/v1/messages
 *     {"model", "max_tokens" (default 1024: the API requires it),
 *      ["system"], "messages": [...], "stream": true, ["temperature"],
 *      ["tools": [{"name", "description", "input_schema"}],
 *       "tool_choice": {"type": "tool", "name"}]}
 *     The structured output is the forced tool's input. Messages with role
 *     "system" are moved to the top-level "system" (joined by blank lines),
 *     as the API does not accept them in `messages`.
 *
 *   OpenAI Responses  POST BASE/responses
 *     {"model", ["instructions"], "input": [{"role", "content"}...],
 *      "stream": true, ["temperature"], ["max_output_tokens"],
 *      ["text": {"format": {"type": "json_schema", "name", "strict": true,
 *      "schema"}}]}
 *
 * The schema is embedded as parsed (numbers keep their text).
 *
 * Headers: `Content-Type: application/json`; OpenAI and Responses
 * `Authorization: Bearer KEY`; Anthropic `x-api-key: KEY` and
 * `anthropic-version: 2023-06-01`; then the preset's extra headers.
 *
 * Where the URL and key come from, first match wins:
 *   URL   `url` (the whole endpoint URL); `base_url`; the environment
 *         (OPENAI_BASE_URL for OpenAI and Responses, ANTHROPIC_BASE_URL);
 *         the official base ("https://api.openai.com/v1",
 *         "https://api.anthropic.com"). As in the official SDKs the OpenAI
 *         base includes "/v1" and the Anthropic base does not; a trailing
 *         '/' is dropped. So llama.cpp, vLLM or Ollama work with
 *         OPENAI_BASE_URL=http://127.0.0.1:8080/v1.
 *   Key   `api_key`; the environment (OPENAI_API_KEY, ANTHROPIC_API_KEY).
 *         Set `no_env` to ignore the environment altogether.
 * A missing key is an error, except when the URL's host is loopback
 * ("localhost", 127.x.x.x or [::1]): local servers usually need none, and
 * then no key header is sent. A key with CR, LF or NUL is refused.
 *
 * Secrets: the key is only ever in the Authorization / x-api-key header of
 * the request; error messages written by this file never contain it (nor
 * do the stream's events, and the replay server's log redacts both
 * headers).
 */
#ifndef SSEKIT_REQUEST_H
#define SSEKIT_REQUEST_H

#include <stddef.h>

#include "alloc.h"
#include "provider.h"
#include "status.h"
#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One chat message. `role`: "system", "user" or "assistant". */
typedef struct ssekit_message {
    const char *role;
    const char *content;
} ssekit_message;

/* The anthropic-version header sent by the Anthropic preset. */
#define SSEKIT_ANTHROPIC_VERSION "2023-06-01"
/* Anthropic's max_tokens when the preset sets none (the API requires one). */
#define SSEKIT_PRESET_DEFAULT_ANTHROPIC_MAX_TOKENS 1024u

/* What to ask. Zero-initialise it; strings are only read during
 * ssekit_request_build(). */
typedef struct ssekit_preset {
    ssekit_provider provider;       /* OPENAI, ANTHROPIC or RESPONSES */
    const char *url;                /* the whole endpoint URL; overrides the base */
    const char *base_url;           /* NULL: environment, then the official one */
    const char *api_key;            /* NULL: environment */
    int no_env;                     /* non-zero: ignore the environment */
    const char *model;              /* required */
    const ssekit_message *messages; /* the conversation, or: */
    size_t message_count;
    const char *prompt;      /* with no messages: one user message */
    const char *system;      /* optional system prompt / instructions */
    const char *schema;      /* JSON schema text; NULL: free text output */
    size_t schema_len;       /* 0: strlen(schema) */
    const char *schema_name; /* the json_schema / tool name; NULL: "output" */
    double temperature;      /* sent only when has_temperature is set */
    int has_temperature;
    unsigned max_tokens;        /* 0: not sent (Anthropic: the default above) */
    const char *const *headers; /* extra "Name: value" lines, e.g. X-Replay-Fault */
    size_t header_count;
    ssekit_limits limits; /* copied to the request's `limits` (stream.h, parse_limits.h);
                             all zero: every default */
} ssekit_preset;

/* Builds *out from `p`: method NULL (POST), url, headers, body, decode = 1,
 * provider, schema (compiled from p->schema, NULL without one),
 * progress_max_tokens = p->max_tokens and limits = p->limits (not checked
 * here: ssekit_stream_open() refuses a bad one). The other fields of *out are zeroed;
 * set deadlines, retry policy, filter or callback afterwards. The strings,
 * the header array and the compiled schema are allocated with `alloc`
 * (NULL: libc's) and owned by *out: release them with ssekit_request_clear()
 * and the same alloc, after the last stream opened from *out has been freed
 * (the stream borrows the schema). On failure *out is zeroed and owns
 * nothing, and `err` (when err_len > 0) receives a one-line message (never
 * the key). Returns SSEKIT_OK; SSEKIT_E_INVALID (NULL p/out, provider not
 * one of the three, no model, no prompt or messages, a message without role
 * or content, a temperature that is negative, not finite or above 1e6, a key or header
 * with CR/LF, a malformed extra header); SSEKIT_E_NO_KEY (no key given or in
 * the environment, for a non-loopback URL); SSEKIT_E_SCHEMA (the schema is
 * not JSON or does not compile); SSEKIT_E_NOMEM. */
int ssekit_request_build(const ssekit_preset *p, const ssekit_alloc_funcs *alloc,
                         ssekit_request *out, char *err, size_t err_len);

/* Releases what ssekit_request_build() allocated in *rq and zeroes it.
 * Must only be used on a request built by ssekit_request_build() (or
 * zeroed). NULL is a no-op. */
void ssekit_request_clear(ssekit_request *rq, const ssekit_alloc_funcs *alloc);

/* The base URL and key the preset would use for `provider` (see the rules
 * above), for diagnostics: *base receives the URL in static or environment
 * storage, *has_key whether a key was found. Returns SSEKIT_OK or
 * SSEKIT_E_INVALID (unknown provider). Never returns the key. */
int ssekit_preset_resolve(const ssekit_preset *p, const char **base, int *has_key);

/* 1 when the host of `url` is loopback ("localhost", 127.0.0.0/8, [::1]),
 * else 0 (also for NULL or a URL without a host). */
int ssekit_url_is_loopback(const char *url);

#ifdef __cplusplus
}
#endif

#endif
