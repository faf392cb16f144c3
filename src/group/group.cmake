target_sources(tallow PRIVATE link.c gcommon.c gsend.c grecv.c gstats.c lanaddr.c)
