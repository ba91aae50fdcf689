{
  "targets": [
    {
      "target_name": "uwsgi_native",
      "sources": ["src/uwsgi_native.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags!": ["-O3"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_c": ["-std=gnu11"],
      "libraries": ["-lrt", "-lpthread"]
    }
  ]
}
