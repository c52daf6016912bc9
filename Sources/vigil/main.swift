// The `vigil` executable: every command lives in the VigilCLI library (so tests run them in-process).
import VigilCLI

VigilCLI.main()
