/* The JSON Schema the examples ask for: a customer review, triaged. It is
 * demos/transcripts/review.schema.json (without its $schema, title and
 * description), the schema of the replay server's bundled structured answers,
 * in the shape strict structured outputs want: every object closed, every
 * property required. Macros, so that a file may use one and not the other. */
#ifndef REVIEW_SCHEMA_H
#define REVIEW_SCHEMA_H

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

#endif
