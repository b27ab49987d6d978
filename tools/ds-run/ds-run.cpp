//===- ds-run.cpp - runs a plan on CPU ranks over MPI ---------------------===//
#include "ds/Runtime/Run/RunDriver.h"

int main(int argc, char **argv) { return ds::rt::runMain(argc, argv); }
