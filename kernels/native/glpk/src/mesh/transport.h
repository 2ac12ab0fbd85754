/* transport.h - ZeroMQ sockets and multipart frames (docs/protocol.md section 1).
 *
 * Frames are mesh_bufs: a received zmq_msg_t is moved into a mesh_buf without copying, and a
 * mesh_buf of MESH_ZEROCOPY_MIN bytes or more is handed to ZeroMQ with zmq_msg_init_data (its
 * reference is released by ZeroMQ's free callback once the bytes are on the wire). */
#ifndef MESH_TRANSPORT_H
#define MESH_TRANSPORT_H

#include "mesh/envelope.h"

#define MESH_ZEROCOPY_MIN 1024
/* Section 2.3: a Mesh message has at most 4 + 4096 frames; a ROUTER adds one identity frame.
 * Longer messages are received to the end and dropped without being kept. */
#define MESH_MAX_FRAMES (1 + MESH_MAX_MESSAGE_FRAMES)

/* Creates a socket with linger 0, unlimited high-water marks and, when max_msg_bytes > 0,
 * ZMQ_MAXMSGSIZE. */
void *mesh_socket(void *zctx, int type, int64_t max_msg_bytes);

/* Binds to tcp://ip:* (transport "tcp") or ipc://ipc_dir/<name>-<random> (transport "ipc") and
 * writes the endpoint actually bound (read back with ZMQ_LAST_ENDPOINT). 0 on success. */
int mesh_bind(void *sock, const char *transport, const char *ip, const char *ipc_dir,
              const char *name, char *endpoint, size_t len);

/* Receives one multipart message. Returns 1 when a message was received, 0 when none was
 * available (ZMQ_DONTWAIT) or the socket was interrupted, -1 when a message was received but
 * had to be dropped (too many frames). */
int mesh_recv(void *sock, mesh_frames *out, int flags);

/* Sends frames as one multipart message; the caller keeps its references. 0 on success. */
int mesh_send(void *sock, mesh_buf *const *frames, size_t n, int flags);

#endif
