/*
 * uwsgi_native: the small piece of C uwsgi-node needs to share state between processes.
 *
 *   shmCreate(name, size)        -> ArrayBuffer over a new POSIX shared-memory object (O_EXCL)
 *   shmAttach(name)              -> ArrayBuffer over an existing one (size from fstat)
 *   shmUnlink(name)              -> undefined
 *   mapFile(path, size, create)  -> ArrayBuffer over a regular file (MAP_SHARED)
 *   msync(buffer, async)         -> undefined
 *   mutexSize()                  -> bytes one mutex slot takes (64)
 *   mutexInit(buf, offset)       -> undefined (a free lock)
 *   mutexBind(buf, offset, n[, recheckMs])  -> the slow paths of n slots (fast paths: CAS in JS);
 *                                  a waiter re-checks its holder's liveness every recheckMs (20):
 *     lockSlow(i, id)            -> false, or true when taken over from a dead holder (sleeps)
 *     tryLockSlow(i, id)         -> -1 busy, 0 taken, 1 taken from a dead holder
 *     unlockSlow(i, id)          -> undefined (releases and wakes a waiter)
 *     releaseDead(pid)           -> slots marked as held by a dead owner (the master, on a child's exit)
 *   selfId()                     -> this thread's id (gettid), the owner id locks record
 *   pidAlive(pid)                -> boolean (kill(pid, 0))
 *   flockTry(fd)                 -> boolean (flock LOCK_EX|LOCK_NB: false when held elsewhere)
 *   fcntlLock(fd, wait)          -> true, or false when another process holds the file's record lock
 *   fcntlLockHolder(fd)          -> pid holding a conflicting record lock on the file, 0 if none
 *   spoolWrite(tmp, final, data, at) -> undefined (create O_EXCL 0600, write, futimens, close, rename)
 *   spoolClaim(path, minSize, out)   -> Buffer of a locked task file (fd, mtimeMs in out), or 0 gone / 1 busy
 *
 * Every mapping is an external ArrayBuffer whose finalizer munmaps it. Errors are thrown as JS
 * Errors whose `code` is the errno name (or EINVAL / SIZE_MISMATCH for bad arguments) and whose
 * message names the call and strerror().
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <node_api.h>

#define MUTEX_MAGIC 0x75774d58u /* "uwMX" */
#define MAX_SAFE_INTEGER 9007199254740991.0

/*
 * One robust mutex slot inside a shared buffer: a futex word and a magic. The word is 0 when free,
 * else the holder's thread id (the pid for a process's main thread) in LOCK_ID_MASK, plus
 * LOCK_WAITERS when someone may sleep on it and LOCK_OWNER_DIED once the holder is known dead.
 * Taking a free lock and releasing one nobody waits for are single compare-and-swaps done in JS
 * (src/native/robust-mutex.ts); the functions here are the slow paths: sleeping, waking, and
 * taking over from a dead holder.
 */
typedef struct {
  int32_t word;
  uint32_t magic; /* MUTEX_MAGIC once mutexInit ran */
} shared_mutex;

#define LOCK_ID_MASK 0x1fffffff
#define LOCK_OWNER_DIED 0x20000000
#define LOCK_WAITERS 0x40000000
/* How long a waiter sleeps (by default) before checking again whether the holder is still alive. */
#define LOCK_RECHECK_MS 20
#define MUTEX_SLOT_SIZE 64

/* ---------------------------------------------------------------------------------------- */
/* errors                                                                                    */

static const char* errno_name(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENFILE: return "ENFILE";
    case EMFILE: return "EMFILE";
    case EFBIG: return "EFBIG";
    case ENOSPC: return "ENOSPC";
    case EROFS: return "EROFS";
    case EDEADLK: return "EDEADLK";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOSYS: return "ENOSYS";
    case EOVERFLOW: return "EOVERFLOW";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EOWNERDEAD: return "EOWNERDEAD";
    case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EDQUOT: return "EDQUOT";
    default: return "EUNKNOWN";
  }
}

/* Throws Error(code, "<call>: <detail>: <text>") and returns NULL for the caller to return. */
static napi_value throw_code(napi_env env, const char* code, const char* call, const char* fmt, ...) {
  char detail[512];
  char message[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  snprintf(message, sizeof message, "%s: %s", call, detail);
  napi_throw_error(env, code, message);
  return NULL;
}

/* Throws for an errno value: "<call>(<what>): <strerror> (<ENAME>)". */
static napi_value throw_errno(napi_env env, const char* call, const char* what, int err) {
  char text[256];
  const char* name = errno_name(err);
  snprintf(text, sizeof text, "%s", strerror(err));
  if (what != NULL && what[0] != '\0') {
    return throw_code(env, name, call, "%s: %s (%s)", what, text, name);
  }
  return throw_code(env, name, call, "%s (%s)", text, name);
}

#define CHECK_NAPI(env, expr)                                      \
  do {                                                             \
    if ((expr) != napi_ok) {                                       \
      napi_throw_error((env), "ENAPI", "Node-API call failed: " #expr); \
      return NULL;                                                 \
    }                                                              \
  } while (0)

/* ---------------------------------------------------------------------------------------- */
/* argument helpers: each returns 0 on success, -1 after throwing                            */

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value* argv, const char* call) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    napi_throw_error(env, "ENAPI", "Node-API call failed: napi_get_cb_info");
    return -1;
  }
  for (size_t i = argc; i < want; i++) {
    napi_get_undefined(env, &argv[i]);
  }
  (void)call;
  return 0;
}

static int get_string(napi_env env, napi_value value, char* out, size_t cap, const char* call, const char* what) {
  napi_valuetype type;
  size_t len = 0;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_string) {
    throw_code(env, "EINVAL", call, "%s must be a string", what);
    return -1;
  }
  napi_get_value_string_utf8(env, value, NULL, 0, &len);
  if (len + 1 > cap) {
    throw_code(env, "ENAMETOOLONG", call, "%s is too long (%zu bytes, at most %zu)", what, len, cap - 1);
    return -1;
  }
  napi_get_value_string_utf8(env, value, out, cap, &len);
  if (strlen(out) != len) {
    throw_code(env, "EINVAL", call, "%s must not contain NUL characters", what);
    return -1;
  }
  return 0;
}

/* A non-negative integer (size, offset, pid) no larger than 2^53-1. */
static int get_integer(napi_env env, napi_value value, double min, double max, double* out, const char* call, const char* what) {
  napi_valuetype type;
  double d;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_number) {
    throw_code(env, "EINVAL", call, "%s must be a number", what);
    return -1;
  }
  napi_get_value_double(env, value, &d);
  if (d != d || d < min || d > max || d != (double)(int64_t)d) {
    throw_code(env, "EINVAL", call, "%s must be an integer in [%.0f, %.0f], got %g", what, min, max, d);
    return -1;
  }
  *out = d;
  return 0;
}

static int get_bool(napi_env env, napi_value value, int* out) {
  napi_valuetype type;
  bool b = false;
  if (napi_typeof(env, value, &type) == napi_ok && type == napi_boolean) {
    napi_get_value_bool(env, value, &b);
  }
  *out = b ? 1 : 0;
  return 0;
}

static int get_arraybuffer(napi_env env, napi_value value, void** data, size_t* len, const char* call) {
  bool is_ab = false;
  napi_is_arraybuffer(env, value, &is_ab);
  if (!is_ab) {
    throw_code(env, "EINVAL", call, "buffer must be an ArrayBuffer");
    return -1;
  }
  if (napi_get_arraybuffer_info(env, value, data, len) != napi_ok) {
    throw_code(env, "EINVAL", call, "cannot read the ArrayBuffer");
    return -1;
  }
  return 0;
}

/* POSIX shm names: "/" then 1..NAME_MAX-1 characters, none of them '/'. */
static int check_shm_name(napi_env env, const char* name, const char* call) {
  size_t len = strlen(name);
  if (len < 2 || name[0] != '/' || strchr(name + 1, '/') != NULL || len > NAME_MAX) {
    throw_code(env, "EINVAL", call,
               "invalid shared-memory name '%s': expected '/' followed by 1 to %d characters other than '/'",
               name, NAME_MAX - 1);
    return -1;
  }
  return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* mappings                                                                                  */

static void unmap_finalizer(napi_env env, void* data, void* hint) {
  munmap(data, (size_t)(uintptr_t)hint);
}

/* Maps `size` bytes of fd shared read/write and wraps them in an external ArrayBuffer. */
static napi_value map_fd(napi_env env, int fd, size_t size, const char* call, const char* what) {
  napi_value result;
  void* addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) {
    return throw_errno(env, call, what, errno);
  }
  if (napi_create_external_arraybuffer(env, addr, size, unmap_finalizer, (void*)(uintptr_t)size, &result) != napi_ok) {
    munmap(addr, size);
    return throw_code(env, "ENAPI", call, "%s: cannot wrap %zu mapped bytes in an ArrayBuffer", what, size);
  }
  return result;
}

/* Reserves the backing store up front so a full /dev/shm or disk fails here, not as SIGBUS later. */
static int reserve(int fd, size_t size) {
  int r = posix_fallocate(fd, 0, (off_t)size);
  if (r == EOPNOTSUPP || r == ENOSYS || r == EINVAL) {
    return ftruncate(fd, (off_t)size) == 0 ? 0 : errno;
  }
  return r;
}

static napi_value shm_create(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char name[NAME_MAX + 2];
  double size;
  int fd, err;
  napi_value result;
  if (get_args(env, info, 2, argv, "shmCreate") || get_string(env, argv[0], name, sizeof name, "shmCreate", "name") ||
      check_shm_name(env, name, "shmCreate") ||
      get_integer(env, argv[1], 1, MAX_SAFE_INTEGER, &size, "shmCreate", "size")) {
    return NULL;
  }
  fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return throw_errno(env, "shmCreate", name, errno);
  }
  err = reserve(fd, (size_t)size);
  if (err != 0) {
    close(fd);
    shm_unlink(name);
    return throw_errno(env, "shmCreate", name, err);
  }
  result = map_fd(env, fd, (size_t)size, "shmCreate", name);
  close(fd);
  if (result == NULL) {
    shm_unlink(name);
  }
  return result;
}

static napi_value shm_attach(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char name[NAME_MAX + 2];
  struct stat st;
  int fd;
  napi_value result;
  if (get_args(env, info, 1, argv, "shmAttach") || get_string(env, argv[0], name, sizeof name, "shmAttach", "name") ||
      check_shm_name(env, name, "shmAttach")) {
    return NULL;
  }
  fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) {
    return throw_errno(env, "shmAttach", name, errno);
  }
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "shmAttach", name, err);
  }
  if (st.st_size <= 0) {
    close(fd);
    return throw_code(env, "EINVAL", "shmAttach", "%s: the region is empty (its creator has not sized it)", name);
  }
  result = map_fd(env, fd, (size_t)st.st_size, "shmAttach", name);
  close(fd);
  return result;
}

static napi_value shm_unlink_fn(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char name[NAME_MAX + 2];
  if (get_args(env, info, 1, argv, "shmUnlink") || get_string(env, argv[0], name, sizeof name, "shmUnlink", "name") ||
      check_shm_name(env, name, "shmUnlink")) {
    return NULL;
  }
  if (shm_unlink(name) != 0) {
    return throw_errno(env, "shmUnlink", name, errno);
  }
  return NULL;
}

static napi_value map_file(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  char path[PATH_MAX];
  double size;
  int create, fd, err;
  struct stat st;
  napi_value result;
  if (get_args(env, info, 3, argv, "mapFile") || get_string(env, argv[0], path, sizeof path, "mapFile", "path") ||
      get_integer(env, argv[1], 1, MAX_SAFE_INTEGER, &size, "mapFile", "size") || get_bool(env, argv[2], &create)) {
    return NULL;
  }
  if (path[0] == '\0') {
    return throw_code(env, "EINVAL", "mapFile", "path must not be empty");
  }
  fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
  if (fd < 0) {
    return throw_errno(env, "mapFile", path, errno);
  }
  if (fstat(fd, &st) != 0) {
    err = errno;
    close(fd);
    return throw_errno(env, "mapFile", path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return throw_code(env, "EINVAL", "mapFile", "%s is not a regular file", path);
  }
  if (st.st_size != 0 && (double)st.st_size != size) {
    close(fd);
    return throw_code(env, "SIZE_MISMATCH", "mapFile", "%s has %lld bytes but %.0f are expected", path,
                      (long long)st.st_size, size);
  }
  if (st.st_size == 0 && !create) {
    close(fd);
    return throw_code(env, "SIZE_MISMATCH", "mapFile", "%s is empty but %.0f bytes are expected", path, size);
  }
  err = reserve(fd, (size_t)size);
  if (err != 0) {
    close(fd);
    return throw_errno(env, "mapFile", path, err);
  }
  result = map_fd(env, fd, (size_t)size, "mapFile", path);
  close(fd);
  return result;
}

static napi_value msync_fn(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  void* data;
  size_t len;
  int async;
  if (get_args(env, info, 2, argv, "msync") || get_arraybuffer(env, argv[0], &data, &len, "msync") ||
      get_bool(env, argv[1], &async)) {
    return NULL;
  }
  if (len > 0 && msync(data, len, async ? MS_ASYNC : MS_SYNC) != 0) {
    return throw_errno(env, "msync", "", errno);
  }
  return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* robust process-shared mutexes                                                             */

/* Resolves (buf, offset) to a slot for mutexInit, checking bounds and alignment. */
static shared_mutex* slot_at(napi_env env, napi_value buf, napi_value off, size_t count, const char* call,
                             double* offset_out) {
  void* data;
  size_t len;
  double offset;
  shared_mutex* m;
  if (get_arraybuffer(env, buf, &data, &len, call) ||
      get_integer(env, off, 0, MAX_SAFE_INTEGER, &offset, call, "offset")) {
    return NULL;
  }
  if ((size_t)offset > len || (len - (size_t)offset) / MUTEX_SLOT_SIZE < count) {
    throw_code(env, "EINVAL", call, "%zu mutex(es) at offset %.0f needs %zu bytes but the buffer has %zu", count, offset,
               count * (size_t)MUTEX_SLOT_SIZE, len);
    return NULL;
  }
  m = (shared_mutex*)((char*)data + (size_t)offset);
  if (((uintptr_t)m) % 8 != 0) {
    throw_code(env, "EINVAL", call, "offset %.0f is not 8-byte aligned", offset);
    return NULL;
  }
  *offset_out = offset;
  return m;
}

static napi_value make_int(napi_env env, int64_t v) {
  napi_value result;
  CHECK_NAPI(env, napi_create_int64(env, v, &result));
  return result;
}

static napi_value mutex_size(napi_env env, napi_callback_info info) {
  return make_int(env, (int64_t)MUTEX_SLOT_SIZE);
}

static napi_value mutex_init(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  double offset;
  shared_mutex* m;
  if (get_args(env, info, 2, argv, "mutexInit") || (m = slot_at(env, argv[0], argv[1], 1, "mutexInit", &offset)) == NULL) {
    return NULL;
  }
  memset(m, 0, MUTEX_SLOT_SIZE);
  __atomic_store_n(&m->magic, MUTEX_MAGIC, __ATOMIC_RELEASE);
  return NULL;
}

static napi_value self_id(napi_env env, napi_callback_info info) {
  return make_int(env, (int64_t)syscall(SYS_gettid));
}

/*
 * A bound mutex area: `count` slots from `base`, resolved once by mutexBind so that each slow-path
 * call takes small integers and no buffer. The binding holds a strong reference to the ArrayBuffer
 * for its life (so the mapping outlives every call through it) and is freed when its functions
 * have been collected.
 */
typedef struct mutex_binding {
  char* base;
  uint32_t count;
  double offset;     /* of slot 0, for messages */
  napi_ref buffer;   /* strong */
  int32_t functions; /* not yet collected */
  struct timespec recheck; /* a waiter's sleep between liveness checks of the holder */
} mutex_binding;

static void binding_function_collected(napi_env env, void* data, void* hint) {
  mutex_binding* b = (mutex_binding*)data;
  if (--b->functions == 0) {
    napi_delete_reference(env, b->buffer);
    free(b);
  }
}

static int owner_alive(int32_t id) { return kill((pid_t)id, 0) == 0 || errno == EPERM; }

static long futex_op(int32_t* word, int op, int32_t value, const struct timespec* timeout) {
  /* not FUTEX_PRIVATE_FLAG: the word lives in memory shared between processes */
  return syscall(SYS_futex, word, op, value, timeout, NULL, 0);
}

/* The slot and the integer arguments of a bound call (and the binding in *binding); NULL after throwing. */
static shared_mutex* bound_slot(napi_env env, napi_callback_info info, const char* call, size_t want, int32_t* extra,
                                mutex_binding** binding) {
  size_t argc = 2;
  napi_value argv[2];
  void* data;
  double d;
  uint32_t index;
  mutex_binding* b;
  shared_mutex* m;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &data) != napi_ok) {
    napi_throw_error(env, "ENAPI", "Node-API call failed: napi_get_cb_info");
    return NULL;
  }
  b = (mutex_binding*)data;
  if (binding != NULL) *binding = b;
  if (argc < 1 || napi_get_value_double(env, argv[0], &d) != napi_ok || !(d >= 0 && d < (double)b->count) ||
      d != (double)(index = (uint32_t)d)) {
    throw_code(env, "EINVAL", call, "index must be an integer in [0, %u)", b->count);
    return NULL;
  }
  if (want == 2) {
    if (argc < 2 || napi_get_value_double(env, argv[1], &d) != napi_ok || !(d >= 1 && d <= LOCK_ID_MASK) || d != (double)(int32_t)d) {
      throw_code(env, "EINVAL", call, "id must be an integer in [1, %d]", LOCK_ID_MASK);
      return NULL;
    }
    *extra = (int32_t)d;
  }
  m = (shared_mutex*)(b->base + (size_t)index * MUTEX_SLOT_SIZE);
  if (__atomic_load_n(&m->magic, __ATOMIC_ACQUIRE) != MUTEX_MAGIC) {
    throw_code(env, "EINVAL", call, "no initialized mutex at offset %.0f (call mutexInit first)",
               b->offset + (double)index * MUTEX_SLOT_SIZE);
    return NULL;
  }
  return m;
}

static int cas(int32_t* word, int32_t expected, int32_t desired) {
  return __atomic_compare_exchange_n(word, &expected, desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/* lockSlow(index, me): blocks until `me` holds the lock; true when it was taken from a dead holder. */
static napi_value bound_lock_slow(napi_env env, napi_callback_info info) {
  int32_t me = 0;
  mutex_binding* b = NULL;
  shared_mutex* m = bound_slot(env, info, "mutexLock", 2, &me, &b);
  napi_value result;
  int recovered = 0;
  if (m == NULL) {
    return NULL;
  }
  for (;;) {
    int32_t c = __atomic_load_n(&m->word, __ATOMIC_SEQ_CST);
    if (c == 0) {
      /* LOCK_WAITERS kept: others may still sleep on the word */
      if (cas(&m->word, 0, me | LOCK_WAITERS)) break;
      continue;
    }
    if ((c & LOCK_ID_MASK) == me && !(c & LOCK_OWNER_DIED)) {
      return throw_code(env, "EDEADLK", "mutexLock", "the lock is already held by this thread (%s)", errno_name(EDEADLK));
    }
    if ((c & LOCK_OWNER_DIED) || !owner_alive(c & LOCK_ID_MASK)) {
      if (cas(&m->word, c, me | LOCK_WAITERS)) {
        recovered = 1;
        break;
      }
      continue;
    }
    if (!(c & LOCK_WAITERS)) {
      if (!cas(&m->word, c, c | LOCK_WAITERS)) continue;
      c |= LOCK_WAITERS;
    }
    futex_op(&m->word, FUTEX_WAIT, c, &b->recheck); /* woken, timed out, EAGAIN or EINTR: look again */
  }
  CHECK_NAPI(env, napi_get_boolean(env, recovered, &result));
  return result;
}

/* tryLockSlow(index, me): -1 busy, 0 taken, 1 taken from a dead holder. Never sleeps. */
static napi_value bound_trylock_slow(napi_env env, napi_callback_info info) {
  int32_t me = 0;
  shared_mutex* m = bound_slot(env, info, "mutexTryLock", 2, &me, NULL);
  if (m == NULL) {
    return NULL;
  }
  for (;;) {
    int32_t c = __atomic_load_n(&m->word, __ATOMIC_SEQ_CST);
    if (c == 0) {
      if (cas(&m->word, 0, me)) return make_int(env, 0);
      continue;
    }
    if ((c & LOCK_ID_MASK) == me && !(c & LOCK_OWNER_DIED)) return make_int(env, -1);
    if ((c & LOCK_OWNER_DIED) || !owner_alive(c & LOCK_ID_MASK)) {
      if (cas(&m->word, c, me | (c & LOCK_WAITERS))) return make_int(env, 1);
      continue;
    }
    return make_int(env, -1);
  }
}

/* unlockSlow(index, me): releases a lock `me` holds and wakes one waiter. */
static napi_value bound_unlock_slow(napi_env env, napi_callback_info info) {
  int32_t me = 0;
  shared_mutex* m = bound_slot(env, info, "mutexUnlock", 2, &me, NULL);
  int32_t c;
  if (m == NULL) {
    return NULL;
  }
  c = __atomic_load_n(&m->word, __ATOMIC_SEQ_CST);
  if ((c & LOCK_ID_MASK) != me || (c & LOCK_OWNER_DIED)) {
    return throw_code(env, "EPERM", "mutexUnlock", "the lock is not held by this thread (%s)", errno_name(EPERM));
  }
  /* While we hold it, others can only add LOCK_WAITERS: take whatever flags are there now. */
  c = __atomic_exchange_n(&m->word, 0, __ATOMIC_SEQ_CST);
  if (c & LOCK_WAITERS) {
    futex_op(&m->word, FUTEX_WAKE, 1, NULL);
  }
  return NULL;
}

/* releaseDead(pid): marks every slot held by `pid` (or one of its threads) as OWNER_DIED and wakes its waiters. */
static napi_value bound_release_dead(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  void* data;
  double d;
  mutex_binding* b;
  int64_t marked = 0;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, &data) != napi_ok) {
    napi_throw_error(env, "ENAPI", "Node-API call failed: napi_get_cb_info");
    return NULL;
  }
  b = (mutex_binding*)data;
  if (argc < 1 || napi_get_value_double(env, arg, &d) != napi_ok || !(d >= 1 && d <= LOCK_ID_MASK) || d != (double)(int32_t)d) {
    return throw_code(env, "EINVAL", "mutexReleaseDead", "pid must be an integer in [1, %d]", LOCK_ID_MASK);
  }
  for (uint32_t i = 0; i < b->count; i++) {
    shared_mutex* m = (shared_mutex*)(b->base + (size_t)i * MUTEX_SLOT_SIZE);
    for (;;) {
      int32_t c = __atomic_load_n(&m->word, __ATOMIC_SEQ_CST);
      int32_t id = c & LOCK_ID_MASK;
      if (c == 0 || (c & LOCK_OWNER_DIED)) break;
      /* the dead process's own id, or a thread id that died with it (a live id is someone else's) */
      if (id != (int32_t)d && owner_alive(id)) break;
      if (cas(&m->word, c, c | LOCK_OWNER_DIED | LOCK_WAITERS)) {
        futex_op(&m->word, FUTEX_WAKE, INT32_MAX, NULL);
        marked++;
        break;
      }
    }
  }
  return make_int(env, marked);
}

static napi_value mutex_bind(napi_env env, napi_callback_info info) {
  static const struct {
    const char* name;
    napi_callback cb;
  } fns[] = {{"lockSlow", bound_lock_slow},
             {"tryLockSlow", bound_trylock_slow},
             {"unlockSlow", bound_unlock_slow},
             {"releaseDead", bound_release_dead}};
  napi_value argv[4];
  napi_value result;
  napi_valuetype recheck_type;
  double offset;
  double count;
  double recheck_ms = LOCK_RECHECK_MS;
  shared_mutex* first;
  mutex_binding* b;
  if (get_args(env, info, 4, argv, "mutexBind") ||
      get_integer(env, argv[2], 1, (double)(UINT32_MAX / MUTEX_SLOT_SIZE), &count, "mutexBind", "count") ||
      (first = slot_at(env, argv[0], argv[1], (size_t)count, "mutexBind", &offset)) == NULL) {
    return NULL;
  }
  if (napi_typeof(env, argv[3], &recheck_type) == napi_ok && recheck_type != napi_undefined &&
      get_integer(env, argv[3], 1, 3600 * 1000, &recheck_ms, "mutexBind", "recheckMs")) {
    return NULL;
  }
  CHECK_NAPI(env, napi_create_object(env, &result));
  b = (mutex_binding*)calloc(1, sizeof *b);
  if (b == NULL) {
    return throw_errno(env, "mutexBind", "", ENOMEM);
  }
  b->base = (char*)first;
  b->count = (uint32_t)count;
  b->offset = offset;
  b->recheck.tv_sec = (time_t)(recheck_ms / 1000);
  b->recheck.tv_nsec = (long)((int64_t)recheck_ms % 1000) * 1000000L;
  if (napi_create_reference(env, argv[0], 1, &b->buffer) != napi_ok) {
    free(b);
    return throw_code(env, "ENAPI", "mutexBind", "cannot reference the buffer");
  }
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, b, &fn) != napi_ok ||
        napi_add_finalizer(env, fn, b, binding_function_collected, NULL, NULL) != napi_ok) {
      /* the functions made so far release the binding when collected */
      if (b->functions == 0) {
        napi_delete_reference(env, b->buffer);
        free(b);
      }
      return throw_code(env, "ENAPI", "mutexBind", "cannot create the lock functions");
    }
    b->functions++;
    CHECK_NAPI(env, napi_set_named_property(env, result, fns[i].name, fn));
  }
  return result;
}

/* ---------------------------------------------------------------------------------------- */
/* processes                                                                                 */

static napi_value pid_alive(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  napi_value result;
  double pid;
  if (get_args(env, info, 1, argv, "pidAlive") || get_integer(env, argv[0], 1, INT32_MAX, &pid, "pidAlive", "pid")) {
    return NULL;
  }
  CHECK_NAPI(env, napi_get_boolean(env, kill((pid_t)pid, 0) == 0 || errno == EPERM, &result));
  return result;
}

/* operating an instance: defined at the end of the file */
static napi_value mkfifo_fn(napi_env env, napi_callback_info info);
static napi_value notify_datagram(napi_env env, napi_callback_info info);

/* ---------------------------------------------------------------------------------------- */
/* instance ownership: flock(2) on an owner file, which survives PID namespaces               */

#include <sys/file.h>

/*
 * flockTry(fd) -> boolean: takes an exclusive flock on fd without waiting; false when another open
 * file description holds it (EWOULDBLOCK). The lock lives as long as the descriptor, in whatever
 * PID namespace its holder runs, and goes with the holder's death.
 */
static napi_value flock_try(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  napi_value result;
  double fd;
  if (get_args(env, info, 1, argv, "flockTry") || get_integer(env, argv[0], 0, INT32_MAX, &fd, "flockTry", "fd")) {
    return NULL;
  }
  int rc;
  do {
    rc = flock((int)fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0 && errno != EWOULDBLOCK) return throw_errno(env, "flock", "owner file", errno);
  CHECK_NAPI(env, napi_get_boolean(env, rc == 0, &result));
  return result;
}

/* spool task locks: the POSIX record lock uWSGI's spooler takes on a task file               */

/*
 * fcntlLock(fd, wait) -> true when this process now holds a write lock on the whole file,
 * false when another process holds a conflicting one (only without wait). The same call uWSGI
 * makes (core/lock.c uwsgi_fcntl_lock / uwsgi_fcntl_is_locked: F_WRLCK, SEEK_SET, 0, 0 with
 * F_SETLKW / F_SETLK), so its spooler and ours exclude each other. The lock belongs to the
 * process and goes away when any descriptor of the file in this process is closed, or at exit.
 */
static napi_value fcntl_lock_fn(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  napi_value result;
  double fd;
  int wait;
  struct flock fl;
  int rc;
  if (get_args(env, info, 2, argv, "fcntlLock") || get_integer(env, argv[0], 0, INT32_MAX, &fd, "fcntlLock", "fd") ||
      get_bool(env, argv[1], &wait)) {
    return NULL;
  }
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;
  do {
    rc = fcntl((int)fd, wait ? F_SETLKW : F_SETLK, &fl);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    if (!wait && (errno == EAGAIN || errno == EACCES)) {
      CHECK_NAPI(env, napi_get_boolean(env, false, &result));
      return result;
    }
    return throw_errno(env, "fcntlLock", "F_SETLK", errno);
  }
  CHECK_NAPI(env, napi_get_boolean(env, true, &result));
  return result;
}

/* fcntlLockHolder(fd) -> pid of a process whose lock conflicts with a whole-file write lock, 0 if none (F_GETLK). */
static napi_value fcntl_lock_holder_fn(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  double fd;
  struct flock fl;
  if (get_args(env, info, 1, argv, "fcntlLockHolder") || get_integer(env, argv[0], 0, INT32_MAX, &fd, "fcntlLockHolder", "fd")) {
    return NULL;
  }
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  if (fcntl((int)fd, F_GETLK, &fl) < 0) return throw_errno(env, "fcntlLockHolder", "F_GETLK", errno);
  return make_int(env, fl.l_type == F_UNLCK ? 0 : (int64_t)fl.l_pid);
}


/* spool files: a task's whole write, and a spooler's whole claim, in one call each           */

/*
 * Throws an errno Error shaped like Node's fs errors: message "<ENAME>: <strerror>, <syscall> '<path>'",
 * `code` the errno name, `syscall` the step that failed and `path`, so callers can tell the step
 * apart and their messages read as with node:fs. (`call` is kept for symmetry with throw_errno.)
 */
static napi_value throw_errno_syscall(napi_env env, const char* call, const char* syscall, const char* path, int err) {
  napi_value error, code_v, msg_v, syscall_v, path_v;
  char text[256];
  char message[PATH_MAX + 400];
  const char* name = errno_name(err);
  (void)call;
  snprintf(text, sizeof text, "%s", strerror(err));
  if (text[0] >= 'A' && text[0] <= 'Z') text[0] = (char)(text[0] - 'A' + 'a');
  snprintf(message, sizeof message, "%s: %s, %s '%s'", name, text, syscall, path);
  if (napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code_v) != napi_ok ||
      napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg_v) != napi_ok ||
      napi_create_error(env, code_v, msg_v, &error) != napi_ok) {
    napi_throw_error(env, name, message);
    return NULL;
  }
  if (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_v) == napi_ok) {
    napi_set_named_property(env, error, "syscall", syscall_v);
  }
  if (napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &path_v) == napi_ok) {
    napi_set_named_property(env, error, "path", path_v);
  }
  napi_throw(env, error);
  return NULL;
}

/* Any number (the caller checks its range). */
static int get_number(napi_env env, napi_value value, double* out, const char* call, const char* what) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_number) {
    throw_code(env, "EINVAL", call, "%s must be a number", what);
    return -1;
  }
  napi_get_value_double(env, value, out);
  return 0;
}

static int get_bytes(napi_env env, napi_value value, void** data, size_t* len, const char* call) {
  bool is_ta = false;
  napi_typedarray_type type;
  napi_is_typedarray(env, value, &is_ta);
  if (!is_ta || napi_get_typedarray_info(env, value, &type, len, data, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    throw_code(env, "EINVAL", call, "data must be a Uint8Array");
    return -1;
  }
  return 0;
}

/*
 * spoolWrite(tmpPath, finalPath, data, at) -> undefined: creates tmpPath (O_CREAT|O_EXCL|O_WRONLY|
 * O_CLOEXEC, mode 0600), writes all of data, sets atime/mtime to `at` (unix seconds) when at > 0,
 * closes it and renames it to finalPath. On any failure the temporary file is unlinked (nothing
 * is left behind, under either name) and an errno Error is thrown whose `syscall` names the step
 * (open, write, futimens, close, rename); an `at` beyond time_t fails at futimens with EINVAL.
 */
static napi_value spool_write(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  char tmp_path[PATH_MAX];
  char final_path[PATH_MAX];
  void* data;
  size_t len, off = 0;
  double at;
  int fd, err;
  const char* step;
  if (get_args(env, info, 4, argv, "spoolWrite") ||
      get_string(env, argv[0], tmp_path, sizeof tmp_path, "spoolWrite", "tmpPath") ||
      get_string(env, argv[1], final_path, sizeof final_path, "spoolWrite", "finalPath") ||
      get_bytes(env, argv[2], &data, &len, "spoolWrite") ||
      get_number(env, argv[3], &at, "spoolWrite", "at")) {
    return NULL;
  }
  if (!(at >= 0)) return throw_code(env, "EINVAL", "spoolWrite", "at must be a non-negative number, got %g", at);
  do {
    fd = open(tmp_path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return throw_errno_syscall(env, "spoolWrite", "open", tmp_path, errno);
  while (off < len) {
    ssize_t n = write(fd, (const char*)data + off, len - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      step = "write";
      goto fail;
    }
    off += (size_t)n;
  }
  if (at > 0) {
    struct timespec times[2];
    if (at >= 9.2e18) { /* beyond time_t: what the OS says of a time it cannot take */
      errno = EINVAL;
      step = "futimens";
      goto fail;
    }
    times[0].tv_sec = (time_t)at;
    times[0].tv_nsec = 0;
    times[1] = times[0];
    if (futimens(fd, times) < 0) {
      step = "futimens";
      goto fail;
    }
  }
  if (close(fd) < 0 && errno != EINTR) {
    fd = -1;
    step = "close";
    goto fail;
  }
  fd = -1;
  if (rename(tmp_path, final_path) < 0) {
    step = "rename";
    goto fail;
  }
  return NULL; /* undefined */
fail:
  err = errno;
  if (fd >= 0) close(fd);
  unlink(tmp_path);
  return throw_errno_syscall(env, "spoolWrite", step, strcmp(step, "rename") == 0 ? final_path : tmp_path, err);
}

#define CLAIM_GONE 0 /* cannot open it, its name is gone, or it is shorter than minSize */
#define CLAIM_BUSY 1 /* another process holds its record lock */

/*
 * spoolClaim(path, minSize, out) -> Buffer of the whole file, or CLAIM_GONE / CLAIM_BUSY (numbers).
 * What the spooler's JS claim did in five calls: open(O_RDWR|O_CLOEXEC), fcntl(F_SETLK) whole-file
 * F_WRLCK (uWSGI's spooler lock), stat(path) (still there? size, mtime), pread the whole file
 * through the locked descriptor. On success the descriptor stays open (and locked): out (a
 * Float64Array of 2) gets [fd, mtimeMs]. Otherwise it is closed. Lock, stat (other than ENOENT)
 * and read failures throw an errno Error whose `syscall` is fcntl, stat or read.
 */
static napi_value spool_claim(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  napi_value result;
  char path[PATH_MAX];
  double min_size;
  double* out;
  size_t out_len;
  napi_typedarray_type type;
  bool is_ta = false;
  struct flock fl;
  struct stat st;
  int fd, rc, err;
  void* buf;
  size_t size, off = 0;
  if (get_args(env, info, 3, argv, "spoolClaim") || get_string(env, argv[0], path, sizeof path, "spoolClaim", "path") ||
      get_integer(env, argv[1], 0, MAX_SAFE_INTEGER, &min_size, "spoolClaim", "minSize")) {
    return NULL;
  }
  napi_is_typedarray(env, argv[2], &is_ta);
  if (!is_ta || napi_get_typedarray_info(env, argv[2], &type, &out_len, (void**)&out, NULL, NULL) != napi_ok ||
      type != napi_float64_array || out_len < 2) {
    return throw_code(env, "EINVAL", "spoolClaim", "out must be a Float64Array of 2");
  }
  do {
    fd = open(path, O_RDWR | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return make_int(env, CLAIM_GONE);
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  do {
    rc = fcntl(fd, F_SETLK, &fl);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    err = errno;
    close(fd);
    if (err == EAGAIN || err == EACCES) return make_int(env, CLAIM_BUSY);
    return throw_errno_syscall(env, "spoolClaim", "fcntl", path, err);
  }
  /* done and unlinked (or moved) by the spooler that held it: no such name any more */
  if (stat(path, &st) < 0) {
    err = errno;
    close(fd);
    if (err == ENOENT) return make_int(env, CLAIM_GONE);
    return throw_errno_syscall(env, "spoolClaim", "stat", path, err);
  }
  if ((double)st.st_size < min_size) {
    close(fd);
    return make_int(env, CLAIM_GONE);
  }
  size = (size_t)st.st_size;
  if (napi_create_buffer(env, size, &buf, &result) != napi_ok) {
    close(fd);
    napi_throw_error(env, "ENAPI", "Node-API call failed: napi_create_buffer");
    return NULL;
  }
  while (off < size) {
    ssize_t n = pread(fd, (char*)buf + off, size - off, (off_t)off);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      close(fd);
      return throw_errno_syscall(env, "spoolClaim", "read", path, err);
    }
    if (n == 0) break;
    off += (size_t)n;
  }
  if (off < size) {
    /* shrunk meanwhile: only what was read */
    napi_value shorter;
    if (napi_create_buffer_copy(env, off, buf, NULL, &shorter) != napi_ok) {
      close(fd);
      napi_throw_error(env, "ENAPI", "Node-API call failed: napi_create_buffer_copy");
      return NULL;
    }
    result = shorter;
  }
  out[0] = (double)fd;
  out[1] = (double)st.st_mtim.tv_sec * 1000 + (double)st.st_mtim.tv_nsec / 1e6;
  return result;
}

/* ---------------------------------------------------------------------------------------- */

NAPI_MODULE_INIT() {
  static const struct {
    const char* name;
    napi_callback cb;
  } fns[] = {
      {"shmCreate", shm_create},     {"shmAttach", shm_attach},     {"shmUnlink", shm_unlink_fn},
      {"mapFile", map_file},         {"msync", msync_fn},           {"mutexSize", mutex_size},
      {"mutexInit", mutex_init},     {"mutexBind", mutex_bind},     {"pidAlive", pid_alive},
      {"selfId", self_id},           {"mkfifo", mkfifo_fn},         {"notifyDatagram", notify_datagram},
      {"flockTry", flock_try},
      {"fcntlLock", fcntl_lock_fn},  {"fcntlLockHolder", fcntl_lock_holder_fn},
      {"spoolWrite", spool_write},   {"spoolClaim", spool_claim},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, NULL, &fn) != napi_ok ||
        napi_set_named_property(env, exports, fns[i].name, fn) != napi_ok) {
      napi_throw_error(env, "ENAPI", "uwsgi_native: cannot register exports");
      return NULL;
    }
  }
  return exports;
}

/* ---------------------------------------------------------------------------------------- */
/* operating an instance: the master FIFO and systemd's notification socket                 */

#include <sys/socket.h>
#include <sys/un.h>
#include <stddef.h>

/* mkfifo(path, mode) -> undefined: creates a named pipe (Node has no mkfifo). */
static napi_value mkfifo_fn(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char path[PATH_MAX];
  double mode;
  if (get_args(env, info, 2, argv, "mkfifo") || get_string(env, argv[0], path, sizeof path, "mkfifo", "path") ||
      get_integer(env, argv[1], 0, 07777, &mode, "mkfifo", "mode")) {
    return NULL;
  }
  if (path[0] == '\0') {
    return throw_code(env, "EINVAL", "mkfifo", "path must not be empty");
  }
  if (mkfifo(path, (mode_t)mode) != 0) {
    return throw_errno(env, "mkfifo", path, errno);
  }
  return NULL;
}

/*
 * notifyDatagram(socketPath, message) -> undefined: sends one datagram to a UNIX datagram socket
 * (systemd's NOTIFY_SOCKET; a leading '@' names an abstract socket), what sd_notify() does. Node's
 * dgram module has no UNIX sockets.
 */
static napi_value notify_datagram(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char path[sizeof(((struct sockaddr_un*)0)->sun_path) + 1];
  char message[4096];
  struct sockaddr_un addr;
  socklen_t addr_len;
  size_t path_len, message_len;
  int fd, err;
  if (get_args(env, info, 2, argv, "notifyDatagram") || get_string(env, argv[0], path, sizeof path, "notifyDatagram", "socketPath") ||
      get_string(env, argv[1], message, sizeof message, "notifyDatagram", "message")) {
    return NULL;
  }
  path_len = strlen(path);
  message_len = strlen(message);
  if (path_len == 0 || path_len > sizeof addr.sun_path) {
    return throw_code(env, "EINVAL", "notifyDatagram", "socketPath must have 1 to %d bytes", (int)sizeof addr.sun_path);
  }
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path, path_len);
  if (path[0] == '@') {
    addr.sun_path[0] = '\0';
  }
  addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len + (path[0] == '@' ? 0 : 1));
  if (addr_len > sizeof addr) {
    addr_len = sizeof addr;
  }
  fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return throw_errno(env, "notifyDatagram", "socket", errno);
  }
  if (sendto(fd, message, message_len, MSG_NOSIGNAL, (struct sockaddr*)&addr, addr_len) < 0) {
    err = errno;
    close(fd);
    return throw_errno(env, "notifyDatagram", path, err);
  }
  close(fd);
  return NULL;
}
