/* What the example programs share: the request they make (a customer review
 * to triage, and the JSON Schema of the answer) and the environment variables
 * that point it elsewhere.
 *
 * The JSON Schema the examples ask for: a customer review, triaged. It is
 * demos/transcripts/review.schema.json (without its $schema, title and
 * description), the schema of the replay server's bundled structured answers,
 * in the shape strict structured outputs want: every object closed, every
 * property required. Macros, so that a file may use one and not the other. */
#ifndef EXAMPLE_REQUEST_H
#define EXAMPLE_REQUEST_H

#include <stdlib.h>

#include <ssekit/ssekit.h>

#define REVIEW_SCHEMA                                                                              \
    "{\"type\":\"object\",\"additionalProperties\":false,"                                         \
    "\"required\":[\"summary\",\"sentiment\",\"confidence\",\"language\",\"customer\",\"topics\"," \
    "\"follow_up\"],"                                                                              \
    "\"properties\":{"                                                                             \
    "\"summary\":{\"type\":\"string\",\"minLength\":1},"                                           \
    "\"sentiment\":{\"type\":\"string\",\"enum\":[\"positive\",\"negative\",\"neutral\","          \
    "\"mixed\"]},"                                                                                 \
    "\"confidence\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1},"                            \
    "\"language\":{\"type\":\"string\",\"pattern\":\"^[a-z]{2}$\"},"                               \
    "\"customer\":{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"name\","     \
    "\"tier\",\"tags\"],\"properties\":{\"name\":{\"type\":\"string\"},\"tier\":{\"type\":"        \
    "\"string\",\"enum\":[\"standard\",\"silver\",\"gold\"]},\"tags\":{\"type\":\"array\","        \
    "\"items\":{\"type\":\"string\"}}}},"                                                          \
    "\"topics\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"type\":\"object\","                \
    "\"additionalProperties\":false,\"required\":[\"name\",\"sentiment\",\"quote\"],"              \
    "\"properties\":{\"name\":{\"type\":\"string\"},\"sentiment\":{\"type\":\"string\",\"enum\":[" \
    "\"positive\",\"negative\",\"neutral\",\"mixed\"]},\"quote\":{\"type\":\"string\"}}}},"        \
    "\"follow_up\":{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"needed\","  \
    "\"channel\",\"priority\"],\"properties\":{\"needed\":{\"type\":\"boolean\"},\"channel\":{"    \
    "\"type\":\"string\",\"enum\":[\"email\",\"phone\",\"none\"]},\"priority\":{\"type\":"         \
    "\"integer\",\"minimum\":1,\"maximum\":3}}}"                                                   \
    "}}"

/* The review the examples send when none is given. */
#define REVIEW_TEXT                                                                                \
    "Triage this customer review as JSON. Review: \"Fast delivery, two days instead of five! "     \
    "But the box was crushed, again. Please use plastic-free packaging.\" (Zoe Muller, gold "      \
    "customer, Zurich)"

/* Applies the environment to a preset: SSEKIT_PROVIDER (openai, anthropic,
 * responses) picks the provider, SSEKIT_MODEL the model (else a small model
 * of that provider), SSEKIT_HEADER one extra request header ("Name: value",
 * e.g. the replay server's X-Replay-Fault). The header string is the
 * environment's, so it lives as long as the program. */
static inline void example_preset_from_env(ssekit_preset *p)
{
    static const char *header;
    const char *provider = getenv("SSEKIT_PROVIDER");
    if (provider && ssekit_provider_from_name(provider) >= 0)
        p->provider = (ssekit_provider)ssekit_provider_from_name(provider);
    p->model = getenv("SSEKIT_MODEL");
    if (!p->model)
        p->model =
            p->provider == SSEKIT_PROVIDER_ANTHROPIC ? "claude-3-5-haiku-latest" : "gpt-4o-mini";
    header = getenv("SSEKIT_HEADER");
    if (header) {
        p->headers = &header;
        p->header_count = 1;
    }
}

#endif
