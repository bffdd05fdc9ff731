@_exported import BornCore
