// mpirun re-execution for `ds-run --np N`.
#include "Launcher.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace ds::rt {

bool launchedByMPI() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE") ||
         std::getenv("PMIX_RANK");
}

Status execUnderMPI(const RunOptions &options, const std::vector<std::string> &args) {
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
  ::execvp(cargv[0], cargv.data());
  return Status::error(std::string("cannot run ") + cargv[0] + ": " + std::strerror(errno) +
                       " (install openmpi-bin, or set DS_MPIRUN)");
}

} // namespace ds::rt
