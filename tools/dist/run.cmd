@echo off
rem icmp-echo Windows kit: runs the ICMP echo conformance suite against this
rem machine's own iphlpapi.dll (64-bit, and 32-bit where Windows has
rem SysWOW64) and, from an elevated prompt, against icmp-echo's DLLs loaded
rem app-locally. One results file per run in results\; send that folder back.
rem Each test runs in its own process (a crash stays in its test; one that
rem hangs fails after 60 s, and the rest of that suite is not run).
setlocal
cd /d "%~dp0"
if not exist results mkdir results
set host=%COMPUTERNAME%
if "%host%"=="" set host=machine
rem ours app-locally: its non-ICMP functions forward to iphlpapi_orig.dll,
rem a copy of the system's own, found beside the exe
copy /y "%SystemRoot%\System32\iphlpapi.dll" x64\iphlpapi_orig.dll >nul 2>&1
if exist "%SystemRoot%\SysWOW64\iphlpapi.dll" copy /y "%SystemRoot%\SysWOW64\iphlpapi.dll" x32\iphlpapi_orig.dll >nul 2>&1

call :suite x64 system
if exist "%SystemRoot%\SysWOW64" call :suite x32 system
x64\icmp_test.exe --elevated >nul 2>&1
if errorlevel 1 (
    echo Not elevated: icmp-echo's own DLLs need raw sockets, which Windows gives only to
    echo administrators. Run run.cmd again from an elevated prompt to test them too.
    goto done
)
call :suite x64 ours
if exist "%SystemRoot%\SysWOW64" call :suite x32 ours
:done
echo.
echo Results are in %CD%\results: send that folder back.
exit /b 0

rem :suite ARCH system|ours: every test of ARCH\icmp_test.exe, one process each
:suite
set arch=%1
set which=%2
set dll=system
if "%which%"=="ours" set dll=%arch%\ours\iphlpapi.dll
set out=results\%host%-%arch%-%which%.jsonl
if exist "%out%" del "%out%"
echo running the %arch% conformance tests against the %which% iphlpapi.dll into %out%...
rem Wine maps its builtin for any file named iphlpapi.dll unless told to take
rem the native one: an override for icmp_test.exe during the run, Wine only
set wineapp=HKCU\Software\Wine\AppDefaults\icmp_test.exe\DllOverrides
set onwine=0
reg query HKLM\Software\Wine >nul 2>&1 && set onwine=1
if "%which%%onwine%"=="ours1" reg add %wineapp% /v iphlpapi /d native /f >nul
set hung=0
for /f %%t in ('%arch%\icmp_test.exe --list') do call :one %%t
if "%which%%onwine%"=="ours1" reg delete HKCU\Software\Wine\AppDefaults\icmp_test.exe /f >nul
exit /b 0

rem (after a test hangs the implementation may be wedged: the rest of this
rem suite is not run, and each such test says so in its record)
:one
if "%hung%"=="1" (
    echo {"test": "%1", "check": "process exit code", "outcome": "info", "values": {"exit": "not run: an earlier test hung"}}>> %out%
    exit /b 0
)
%arch%\icmp_test.exe --dll %dll% --results %out% --timeout 60 %1 > results\%host%-%arch%-%which%-%1.log 2>&1
set code=%errorlevel%
echo {"test": "%1", "check": "process exit code", "outcome": "info", "values": {"exit": %code%}}>> %out%
if "%code%"=="124" (
    echo   %1 hung: the remaining %arch% tests against the %which% DLL are not run
    set hung=1
)
exit /b 0
