# WebRTC transport core: certificates, ICE (libnice), DTLS (OpenSSL),
# SCTP (usrsctp), data channels and the peer connection.
target_sources(tallow PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/cert.c
  ${CMAKE_CURRENT_LIST_DIR}/ice.c
  ${CMAKE_CURRENT_LIST_DIR}/dtls.c
  ${CMAKE_CURRENT_LIST_DIR}/sctp.c
  ${CMAKE_CURRENT_LIST_DIR}/dc.c
  ${CMAKE_CURRENT_LIST_DIR}/pc.c)
