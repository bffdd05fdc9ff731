@_exported import BornCore
@_exported import BornCPU
