target_sources(tallow PRIVATE link.c gcommon.c gsend.c grecv.c lanaddr.c)
