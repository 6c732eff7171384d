// Clang's thread-safety annotations (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html).
// They state which mutex guards which state and which lock a function needs; `make lint` checks
// them (clang-tidy with -Wthread-safety), and under GCC they expand to nothing.
//
//   Mutex mu_;
//   int count_ GUARDED_BY(mu_);           // read or written only with mu_ held
//   void BumpLocked() REQUIRES(mu_);      // callers hold mu_
//   void Bump() EXCLUDES(mu_);            // callers must not hold mu_ (it takes it)
#ifndef LARDER_BASE_THREAD_ANNOTATIONS_H_
#define LARDER_BASE_THREAD_ANNOTATIONS_H_

#if defined(__clang__)
#define LARDER_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define LARDER_THREAD_ANNOTATION(x)
#endif

// A type that acts as a lock (a mutex class).
#define CAPABILITY(x) LARDER_THREAD_ANNOTATION(capability(x))
// An RAII type that holds a capability for its lifetime (MutexLock).
#define SCOPED_CAPABILITY LARDER_THREAD_ANNOTATION(scoped_lockable)
// A member read or written only with the given mutex held.
#define GUARDED_BY(x) LARDER_THREAD_ANNOTATION(guarded_by(x))
// A pointer member whose pointee is read or written only with the given mutex held.
#define PT_GUARDED_BY(x) LARDER_THREAD_ANNOTATION(pt_guarded_by(x))
// Lock order: this mutex is taken after / before the given ones.
#define ACQUIRED_AFTER(...) LARDER_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define ACQUIRED_BEFORE(...) LARDER_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
// The caller must hold the given mutexes (exclusively / shared).
#define REQUIRES(...) LARDER_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) LARDER_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
// The function takes / releases the given mutexes (none named: `this`).
#define ACQUIRE(...) LARDER_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) LARDER_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) LARDER_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
// The caller must not hold the given mutexes (the function takes them).
#define EXCLUDES(...) LARDER_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// The function checks at run time that the mutex is held; the analysis then assumes it is.
#define ASSERT_CAPABILITY(x) LARDER_THREAD_ANNOTATION(assert_capability(x))
// The function returns a reference to the given mutex.
#define RETURN_CAPABILITY(x) LARDER_THREAD_ANNOTATION(lock_returned(x))
// Turns the analysis off for one function; say why beside each use.
#define NO_THREAD_SAFETY_ANALYSIS LARDER_THREAD_ANNOTATION(no_thread_safety_analysis)

#endif  // LARDER_BASE_THREAD_ANNOTATIONS_H_
