# Build the one-folder Windows application dist\slrfr-gui\ (slrfr-gui.exe) with PyInstaller, then
# smoke-test it offscreen. From PowerShell, anywhere:
#   powershell -ExecutionPolicy Bypass -File packaging\build_windows.ps1
# $env:PYTHON chooses the interpreter (default: py -3 if the launcher is there, else python); it must
# be Python >= 3.11. The build venv is build\venv; PyInstaller's work files go to build\, the
# application to dist\ (both ignored by git).
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")

function Invoke-Step {
    param([string]$Exe, [string[]]$Arguments)
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { throw "failed ($LASTEXITCODE): $Exe $($Arguments -join ' ')" }
}

$venv = "build\venv"
$py = "$venv\Scripts\python.exe"
$watch = [Diagnostics.Stopwatch]::StartNew()
if (-not (Test-Path $py)) {
    if ($env:PYTHON) { Invoke-Step $env:PYTHON @("-m", "venv", $venv) }
    elseif (Get-Command py -ErrorAction SilentlyContinue) { Invoke-Step "py" @("-3", "-m", "venv", $venv) }
    else { Invoke-Step "python" @("-m", "venv", $venv) }
}
Invoke-Step $py @("-m", "pip", "install", "-q", "--upgrade", "pip")
Invoke-Step $py @("-m", "pip", "install", "-q", ".", "pyinstaller>=6.10")
Write-Host "== venv ready in $([int]$watch.Elapsed.TotalSeconds) s"

$watch.Restart()
Invoke-Step "$venv\Scripts\pyinstaller.exe" @("--noconfirm", "--log-level", "WARN", "--distpath", "dist",
    "--workpath", "build\pyinstaller", "packaging\slrfr-gui.spec")
$size = (Get-ChildItem -Recurse -File "dist\slrfr-gui" | Measure-Object -Sum Length).Sum / 1MB
Write-Host ("== PyInstaller build in {0} s: dist\slrfr-gui ({1:N0} MB)" -f [int]$watch.Elapsed.TotalSeconds, $size)

# The smoke test starts the GUI executable with QT_QPA_PLATFORM=offscreen and checks the files it writes.
Invoke-Step $py @("packaging\smoke_test.py", "dist\slrfr-gui\slrfr-gui.exe", "--out", "build\smoke")
