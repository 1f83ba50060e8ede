/* ssekit — umbrella header: includes every public header of libssekit. */
#ifndef SSEKIT_SSEKIT_H
#define SSEKIT_SSEKIT_H

#include "alloc.h"
#include "batch.h"
#include "breaker.h"
#include "client.h"
#include "complete.h"
#include "json_value.h"
#include "parse_limits.h"
#include "metrics.h"
#include "partial_json.h"
#include "provider.h"
#include "ratelimit.h"
#include "request.h"
#include "result.h"
#include "retry.h"
#include "schema.h"
#include "sse_parser.h"
#include "status.h"
#include "stream.h"
#include "version.h"

#endif
