// Running ds-run under mpirun for `ds-run --np N`.
#include "Launcher.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>

namespace ds::rt {

bool launchedByMPI() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE") ||
         std::getenv("PMIX_RANK");
}

namespace {
volatile pid_t gLauncherChild = 0;

// A signal meant for this run (a timeout killing ds-run, Ctrl-C) reaches mpirun, which stops the
// ranks.
void forwardToLauncher(int signal) {
  if (gLauncherChild > 0)
    ::kill(gLauncherChild, signal);
}
} // namespace

StatusOr<int> runUnderMPI(const RunOptions &options, const std::vector<std::string> &args) {
  char self[4096];
  ssize_t len = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (len <= 0)
    return Status::error("cannot find ds-run's own path to relaunch it under mpirun");
  self[len] = '\0';
  const char *launcher = std::getenv("DS_MPIRUN");
  std::vector<std::string> argv = {launcher ? launcher : "mpirun"};
  if (::geteuid() == 0)
    argv.push_back("--allow-run-as-root"); // OpenMPI refuses root unless told
  // Ranks may outnumber cores (tests on small machines); a hostfile sets real slot counts.
  argv.push_back("--oversubscribe");
  argv.push_back("-np");
  argv.push_back(std::to_string(options.np));
  if (!options.hostfile.empty()) {
    argv.push_back("--hostfile");
    argv.push_back(options.hostfile);
  }
  argv.push_back(self);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    if (a == "--np" || a == "--hostfile") {
      ++i; // and its value
      continue;
    }
    if (a.rfind("--np=", 0) == 0 || a.rfind("--hostfile=", 0) == 0)
      continue;
    argv.push_back(a);
  }
  std::vector<char *> cargv;
  for (std::string &a : argv)
    cargv.push_back(a.data());
  cargv.push_back(nullptr);

  // OpenMPI creates its session directory under a shared base; two mpiruns starting at the same
  // moment can race on it ("orte_session_dir failed ... File exists"). Each launch gets a base
  // of its own, removed when the run ends, unless the user chose one.
  std::string sessionBase;
  if (!std::getenv("OMPI_MCA_orte_tmpdir_base")) {
    const char *tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/ds-run.XXXXXX";
    if (::mkdtemp(pattern.data())) {
      sessionBase = pattern;
      ::setenv("OMPI_MCA_orte_tmpdir_base", sessionBase.c_str(), 1);
    }
  }
  pid_t child = ::fork();
  if (child < 0)
    return Status::error(std::string("cannot start mpirun: ") + std::strerror(errno));
  if (child == 0) {
    ::execvp(cargv[0], cargv.data());
    std::fprintf(stderr, "ds-run: cannot run %s: %s (install openmpi-bin, or set DS_MPIRUN)\n",
                 cargv[0], std::strerror(errno));
    ::_exit(127);
  }
  gLauncherChild = child;
  std::signal(SIGINT, forwardToLauncher);
  std::signal(SIGTERM, forwardToLauncher);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!sessionBase.empty())
    ::rmdir(sessionBase.c_str()); // empty once mpirun has cleaned up after itself
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

} // namespace ds::rt
