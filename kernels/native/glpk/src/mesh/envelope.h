/* envelope.h - Mesh message frames (docs/protocol.md section 2): tag, HMAC-SHA256 signature,
 * header map, content value, buffer frames. Independent of ZeroMQ: frames are mesh_bufs. */
#ifndef MESH_ENVELOPE_H
#define MESH_ENVELOPE_H

#include "mesh/codec.h"

#define MESH_TAG "MESH/1"
#define MESH_TAG_LEN 6
#define MESH_SIG_LEN 32
#define MESH_MAX_BUFFER_FRAMES 4096
#define MESH_MAX_MESSAGE_FRAMES (4 + MESH_MAX_BUFFER_FRAMES)

/* Error codes of section 4.6. */
enum {
    MESH_APPLICATION_ERROR = 0,
    MESH_BAD_SIGNATURE = 1001,
    MESH_UNSUPPORTED_VERSION = 1002,
    MESH_MALFORMED_MESSAGE = 1003,
    MESH_MESSAGE_TOO_LARGE = 1004,
    MESH_UNKNOWN_MESSAGE_TYPE = 1005,
    MESH_UNKNOWN_ENDPOINT = 1101,
    MESH_BAD_ARGUMENTS = 1102,
    MESH_UNKNOWN_TASK = 1103,
    MESH_TASK_CANCELLED = 1104,
    MESH_TASK_TIMEOUT = 1105,
    MESH_KERNEL_SHUTTING_DOWN = 1106,
    MESH_QUEUE_FULL = 1107,
    MESH_DUPLICATE_TASK = 1108,
    MESH_KERNEL_LOST = 1109,
    MESH_INTERNAL_ERROR = 1110,
    /* section 9.5 */
    MESH_PROXY_UNKNOWN_OBJECT = 1201,
    MESH_PROXY_FORBIDDEN = 1202,
    MESH_PROXY_NOT_DATA = 1203,
    MESH_PROXY_UNKNOWN_MEMBER = 1204,
    MESH_PROXY_NOT_EXPORTED = 1205
};

typedef struct {
    uint8_t *bytes; /* UTF-8 bytes of the connection file's key string */
    size_t len;     /* 0: unsigned messages */
} mesh_key;

void mesh_key_set(mesh_key *k, const char *key);
void mesh_key_clear(mesh_key *k);

/* HMAC-SHA256(key, a || b). */
void mesh_sign(const mesh_key *k, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
               uint8_t out[MESH_SIG_LEN]);
/* Constant-time check of a signature frame. With an empty key messages are unsigned and the
 * signature frame is not checked (section 2.1). */
bool mesh_verify(const mesh_key *k, const uint8_t *sig, size_t siglen, const uint8_t *a,
                 size_t alen, const uint8_t *b, size_t blen);

/* 32 lowercase hex digits from a random UUID4. out must hold 33 bytes. */
void mesh_new_id(char out[33]);

typedef struct {
    const char *id;
    const char *type;
    const char *session;
    int64_t date_sec; /* date_sec == 0 && date_nsec == 0: now */
    uint32_t date_nsec;
    const char *parent_id; /* NULL: nil */
} mesh_header;

/* A list of frames (each mesh_buf holds one reference owned by the list). */
typedef struct {
    mesh_buf **f;
    size_t n, cap;
} mesh_frames;

int mesh_frames_push(mesh_frames *fr, mesh_buf *b); /* takes ownership of b's reference */
void mesh_frames_clear(mesh_frames *fr);            /* unrefs all, keeps capacity */
void mesh_frames_free(mesh_frames *fr);

/* Encodes and signs [tag, sig, header, content, buffers...] and appends them to out.
 * 0 on success. */
int mesh_envelope_encode(const mesh_key *k, const mesh_header *h, const mesh_value *content,
                         mesh_frames *out);

/* Same, with the content already encoded (buffers: the encoder's buffer frames). */
int mesh_envelope_encode_bytes(const mesh_key *k, const mesh_header *h, const uint8_t *content,
                               size_t clen, mesh_buf *const *buffers, size_t nbuffers,
                               mesh_frames *out);

/* A received message after the routing identity frames. */
typedef struct {
    mesh_arena *arena; /* owns everything below */
    const char *id, *type, *session, *parent_id; /* parent_id NULL when nil */
    const mesh_value *header;
    const mesh_value *content;
    mesh_frames frames; /* all frames, tag first (keeps buffer memory alive) */
} mesh_message;

typedef enum {
    MESH_RX_OK,
    MESH_RX_DROP,        /* count as rejected, send nothing */
    MESH_RX_ERROR_REPLY, /* count as rejected, answer error_reply(code, message) to `id` */
    MESH_RX_BAD_VALUE    /* content is MessagePack but an ndarray/table in it is invalid:
                            msg->content holds the content decoded with raw ext values */
} mesh_rx_status;

typedef struct {
    int code;
    char message[256];
} mesh_rx_error;

/* Applies the receiving rules of section 2.3 to frames (tag first). On MESH_RX_OK,
 * MESH_RX_BAD_VALUE and MESH_RX_ERROR_REPLY (when an id was readable) msg->id is set. The frames
 * are moved into msg (fr is emptied). Always call mesh_message_free afterwards. */
mesh_rx_status mesh_envelope_decode(const mesh_key *k, mesh_frames *fr, uint64_t max_frame_bytes,
                                    mesh_message *msg, mesh_rx_error *err);
void mesh_message_free(mesh_message *msg);

/* Builds an error map {type, message, traceback, code} in arena a. */
mesh_value *mesh_error_value(mesh_arena *a, const char *type, const char *message, int code,
                             const mesh_value *traceback);
const char *mesh_error_name(int code);

#endif
