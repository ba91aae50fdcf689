/*
 * uwsgi_native: the small piece of C uwsgi-node needs to share state between processes.
 *
 *   shmCreate(name, size)        -> ArrayBuffer over a new POSIX shared-memory object (O_EXCL)
 *   shmAttach(name)              -> ArrayBuffer over an existing one (size from fstat)
 *   shmUnlink(name)              -> undefined
 *   mapFile(path, size, create)  -> ArrayBuffer over a regular file (MAP_SHARED)
 *   msync(buffer, async)         -> undefined
 *   mutexSize()                  -> bytes one robust mutex slot takes (multiple of 64)
 *   mutexInit(buf, offset)       -> undefined
 *   mutexBind(buf, offset, n)    -> { lock(i), tryLock(i), unlock(i), owner(i) } over n slots:
 *     lock(i)                    -> false, or true when a dead owner's lock was recovered
 *     tryLock(i)                 -> -1 busy, 0 taken, 1 taken from a dead owner
 *     unlock(i)                  -> undefined
 *     owner(i)                   -> pid recorded by the holder, 0 when free
 *   pidAlive(pid)                -> boolean (kill(pid, 0))
 *
 * Every mapping is an external ArrayBuffer whose finalizer munmaps it; while this process holds a
 * mutex, the buffer it locked through stays referenced so it cannot be collected. Errors are thrown as JS
 * Errors whose `code` is the errno name (or EINVAL / SIZE_MISMATCH for bad arguments) and whose
 * message names the call and strerror().
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <node_api.h>

#define MUTEX_MAGIC 0x75774d58u /* "uwMX" */
#define MAX_SAFE_INTEGER 9007199254740991.0

/* One robust mutex slot inside a shared buffer. */
typedef struct {
  pthread_mutex_t mutex;
  int32_t owner;  /* pid of the holder, 0 when free (bookkeeping for ownerPid and unlock) */
  uint32_t magic; /* MUTEX_MAGIC once mutexInit ran */
  /* Holder-private: the binding the holder locked through (see mutex_binding). Its reference keeps
   * the mapping alive while the lock is held: if GC unmapped it, the kernel could not reach the
   * mutex on the holder's robust list at exit and a dead holder's lock would never be recovered. */
  struct mutex_binding* holder;
} shared_mutex;

#define MUTEX_SLOT_SIZE ((sizeof(shared_mutex) + 63) / 64 * 64)

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

/* getpid() is a real system call (glibc stopped caching it), which costs microseconds in some VMs;
 * the owner bookkeeping runs on every lock/unlock, so cache it and refresh it in forked children. */
static int32_t cached_pid;
static void refresh_pid(void) { cached_pid = (int32_t)getpid(); }
static void init_pid(void) {
  refresh_pid();
  pthread_atfork(NULL, NULL, refresh_pid);
}

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
  if (((uintptr_t)m) % _Alignof(shared_mutex) != 0) {
    throw_code(env, "EINVAL", call, "offset %.0f is not %zu-byte aligned", offset, (size_t)_Alignof(shared_mutex));
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
  pthread_mutexattr_t attr;
  int r;
  if (get_args(env, info, 2, argv, "mutexInit") || (m = slot_at(env, argv[0], argv[1], 1, "mutexInit", &offset)) == NULL) {
    return NULL;
  }
  memset(m, 0, sizeof *m);
  r = pthread_mutexattr_init(&attr);
  if (r == 0) r = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  if (r == 0) r = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  if (r == 0) r = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
  if (r == 0) r = pthread_mutex_init(&m->mutex, &attr);
  pthread_mutexattr_destroy(&attr);
  if (r != 0) {
    return throw_errno(env, "mutexInit", "", r);
  }
  __atomic_store_n(&m->magic, MUTEX_MAGIC, __ATOMIC_RELEASE);
  return NULL;
}

/*
 * A bound mutex area: `count` slots from `base`, resolved once by mutexBind so that each lock call
 * takes one small integer and does no argument validation beyond a range check: the lock path is
 * the cache's hot path, and the generic (buffer, offset) checks cost more than the lock itself.
 *
 * Lifetime: the binding holds a strong reference to the ArrayBuffer, so the mapping outlives every
 * lock taken through it. It is freed when its four functions have been collected and none of its
 * slots is held by this process; a binding collected while one of its locks is held keeps the
 * mapping (the kernel must reach the mutex on the robust list if this process dies holding it)
 * until that lock is released through another binding.
 */
typedef struct mutex_binding {
  char* base;
  uint32_t count;
  double offset;      /* of slot 0, for messages */
  napi_ref buffer;    /* strong */
  int32_t held;       /* slots this process holds, locked through this binding */
  int32_t functions;  /* of lock/tryLock/unlock/owner not yet collected */
} mutex_binding;

static void binding_release(napi_env env, mutex_binding* b) {
  if (b->functions == 0 && b->held == 0) {
    napi_delete_reference(env, b->buffer);
    free(b);
  }
}

static void binding_function_collected(napi_env env, void* data, void* hint) {
  mutex_binding* b = (mutex_binding*)data;
  b->functions--;
  binding_release(env, b);
}

/* The binding behind a bound function and its one argument, the slot index; NULL after throwing. */
static shared_mutex* bound_slot(napi_env env, napi_callback_info info, const char* call, mutex_binding** out) {
  size_t argc = 1;
  napi_value arg;
  void* data;
  double d;
  uint32_t index;
  mutex_binding* b;
  shared_mutex* m;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, &data) != napi_ok) {
    napi_throw_error(env, "ENAPI", "Node-API call failed: napi_get_cb_info");
    return NULL;
  }
  b = (mutex_binding*)data;
  if (argc < 1 || napi_get_value_double(env, arg, &d) != napi_ok || !(d >= 0 && d < (double)b->count) ||
      d != (double)(index = (uint32_t)d)) {
    throw_code(env, "EINVAL", call, "index must be an integer in [0, %u)", b->count);
    return NULL;
  }
  m = (shared_mutex*)(b->base + (size_t)index * MUTEX_SLOT_SIZE);
  if (__atomic_load_n(&m->magic, __ATOMIC_ACQUIRE) != MUTEX_MAGIC) {
    throw_code(env, "EINVAL", call, "no initialized mutex at offset %.0f (call mutexInit first)",
               b->offset + (double)index * MUTEX_SLOT_SIZE);
    return NULL;
  }
  *out = b;
  return m;
}

/* After pthread_mutex_(try)lock returned r: takes ownership, recovers a dead owner's lock. */
static napi_value finish_lock(napi_env env, shared_mutex* m, mutex_binding* b, int r, const char* call) {
  napi_value result;
  int recovered = 0;
  if (r == EOWNERDEAD) {
    int c = pthread_mutex_consistent(&m->mutex);
    if (c != 0) {
      pthread_mutex_unlock(&m->mutex);
      return throw_errno(env, call, "recovering a dead owner's lock", c);
    }
    recovered = 1;
  } else if (r != 0) {
    return throw_errno(env, call, "", r);
  }
  m->holder = b; /* a dead holder's value is garbage to us: overwrite, never read it */
  b->held++;
  __atomic_store_n(&m->owner, cached_pid, __ATOMIC_RELEASE);
  CHECK_NAPI(env, napi_get_boolean(env, recovered, &result));
  return result;
}

static napi_value bound_lock(napi_env env, napi_callback_info info) {
  mutex_binding* b;
  shared_mutex* m = bound_slot(env, info, "mutexLock", &b);
  if (m == NULL) {
    return NULL;
  }
  return finish_lock(env, m, b, pthread_mutex_lock(&m->mutex), "mutexLock");
}

static napi_value bound_trylock(napi_env env, napi_callback_info info) {
  mutex_binding* b;
  shared_mutex* m = bound_slot(env, info, "mutexTryLock", &b);
  int r;
  if (m == NULL) {
    return NULL;
  }
  r = pthread_mutex_trylock(&m->mutex);
  if (r == EBUSY || r == EDEADLK) { /* EDEADLK: this thread already holds it */
    return make_int(env, -1);
  }
  if (finish_lock(env, m, b, r, "mutexTryLock") == NULL) {
    return NULL;
  }
  return make_int(env, r == EOWNERDEAD ? 1 : 0);
}

static napi_value bound_unlock(napi_env env, napi_callback_info info) {
  mutex_binding* b;
  mutex_binding* holder;
  shared_mutex* m = bound_slot(env, info, "mutexUnlock", &b);
  int32_t me = cached_pid;
  int r;
  if (m == NULL) {
    return NULL;
  }
  /* Clear the owner word before releasing, so it never erases a later owner's pid. */
  if (__atomic_load_n(&m->owner, __ATOMIC_ACQUIRE) != me) {
    return throw_code(env, "EPERM", "mutexUnlock", "the lock is not held by this process (%s)", errno_name(EPERM));
  }
  holder = m->holder; /* read while still the holder: the next holder overwrites it */
  __atomic_store_n(&m->owner, 0, __ATOMIC_RELEASE);
  r = pthread_mutex_unlock(&m->mutex);
  if (r != 0) {
    __atomic_store_n(&m->owner, me, __ATOMIC_RELEASE);
    return throw_errno(env, "mutexUnlock", "", r);
  }
  if (holder != NULL) {
    holder->held--;
    binding_release(env, holder);
  }
  return NULL;
}

static napi_value bound_owner(napi_env env, napi_callback_info info) {
  mutex_binding* b;
  shared_mutex* m = bound_slot(env, info, "mutexOwner", &b);
  if (m == NULL) {
    return NULL;
  }
  return make_int(env, __atomic_load_n(&m->owner, __ATOMIC_ACQUIRE));
}

static napi_value mutex_bind(napi_env env, napi_callback_info info) {
  static const struct {
    const char* name;
    napi_callback cb;
  } fns[] = {{"lock", bound_lock}, {"tryLock", bound_trylock}, {"unlock", bound_unlock}, {"owner", bound_owner}};
  napi_value argv[3];
  napi_value result;
  double offset;
  double count;
  shared_mutex* first;
  mutex_binding* b;
  if (get_args(env, info, 3, argv, "mutexBind") ||
      get_integer(env, argv[2], 1, (double)(UINT32_MAX / MUTEX_SLOT_SIZE), &count, "mutexBind", "count") ||
      (first = slot_at(env, argv[0], argv[1], (size_t)count, "mutexBind", &offset)) == NULL) {
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

/* ---------------------------------------------------------------------------------------- */

NAPI_MODULE_INIT() {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  static const struct {
    const char* name;
    napi_callback cb;
  } fns[] = {
      {"shmCreate", shm_create},     {"shmAttach", shm_attach},     {"shmUnlink", shm_unlink_fn},
      {"mapFile", map_file},         {"msync", msync_fn},           {"mutexSize", mutex_size},
      {"mutexInit", mutex_init},     {"mutexBind", mutex_bind},     {"pidAlive", pid_alive},
  };
  pthread_once(&once, init_pid);
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
