@echo off
rem KDC Sync: starts kdcd in its own window and opens the web app in the default browser.
rem Double-click it. Closing the "KDC Sync (kdcd)" window stops kdcd. Flags given to this
rem file go to kdcd (for example --ui-listen 0.0.0.0:7421).
cd /d "%~dp0"
start "KDC Sync (kdcd)" kdcd.exe %*
rem Wait up to 60 s until kdcd answers (the first start makes its keys).
set tries=0
:wait
ping -n 2 127.0.0.1 >nul
kdc.exe id >nul 2>&1 && goto open
set /a tries+=1
if %tries% lss 60 goto wait
echo kdcd chua chay: xem cua so "KDC Sync (kdcd)". / kdcd did not start: see the "KDC Sync (kdcd)" window.
pause
exit /b 1
:open
kdc.exe ui
