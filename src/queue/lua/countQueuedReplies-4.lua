--[[
  The reply queue's depth as BullMQ's Queue.count() counts it: jobs waiting, delayed, prioritized or
  waiting for children. A script of ours (BullMQ's own cannot join our pipelines), so admission can read
  the depth in the same round trip as the gateway's other lookups.

  KEYS[1] wait               BullMQ's wait LIST
  KEYS[2] delayed            BullMQ's delayed ZSET
  KEYS[3] prioritized        BullMQ's prioritized ZSET
  KEYS[4] waiting-children   BullMQ's waiting-children ZSET

  Returns the number of such jobs.
]]
return redis.call('LLEN', KEYS[1])
  + redis.call('ZCARD', KEYS[2])
  + redis.call('ZCARD', KEYS[3])
  + redis.call('ZCARD', KEYS[4])
