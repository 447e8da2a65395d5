"""What a failing Redis raises, in one place: callers that carry on without the cache catch these."""

import redis

# Refused, reset or timed-out connections surface as redis errors or as bare OSErrors.
REDIS_ERRORS = (redis.RedisError, OSError)
