// NE16-style engine slice: SIDE x SIDE output pixels (columns) x 9 blocks (3x3 taps) x LANES
// input channels of 1-bit x 8-bit products, bit-serial over the weight bits (2..8), with 32-bit
// wrapping accumulators and normalisation/quantisation.
//
// One job (start -> done) computes one output subtile of K channels over N_IN k_in subtiles:
//   repeat N_IN: LOAD (LAT + NPIX) -> WOFF (6, depthwise 6 + K) -> MV (6 + K*QW; 1x1: 6 + K)
//                -> UPDATE (2)
//   NQ_MUL (9 + ceil(K/4)) -> NQ_BIAS (8 + ceil(K/8), if bias) -> STREAMOUT (3 + COLS*BPP + 1)
// LAT = 10 (1x1) or 6; NPIX = (SIDE+2)^2 (3x3, depthwise) or SIDE^2 (1x1);
// BPP = ceil(K*OUT_BITS/256). NQ phases are skipped when norm_en = 0 (raw 32-bit outputs).
// The cycle model of sim/models/gap9/cycles.py predicts exactly these counts.
//
// Memories are written by the bench before `start` (not counted):
//   x memory  : word = one input pixel, LANES bytes (lane l at bits 8l+:8);
//               address nin*(SIDE+2)^2 + pixel, pixel row-major in the window (1x1: the
//               SIDE x SIDE output pixels).
//   w memory  : word = 9*LANES bits.  3x3: address (k*N_IN + nin)*QW + b, bit tap*LANES + lane.
//               1x1: address k*N_IN + nin, bit b*LANES + lane.  depthwise: address b,
//               bit tap*LANES + channel.  Weights are unsigned (w_u); woff is the weight offset.
//   p memory  : per output channel an 8-bit scale and a 32-bit bias.
// Mode encoding (as NE16 conf0[6:5]): 0 = 3x3, 1 = depthwise 3x3, 2 = 1x1.
// Output: 256-bit words, one per cycle with o_valid, pixel-major then beat; a beat holds
// 256/OUT_BITS channels (channel j of the beat at bits j*OUT_BITS +: OUT_BITS).
module ne16_slice #(
    parameter int SIDE    = 3,
    parameter int LANES   = 16,
    parameter int KMAX    = 32,
    parameter int NIN_MAX = 4
) (
    input  logic                    clk,
    input  logic                    rst_n,
    // configuration (stable during a job)
    input  logic [1:0]              mode,
    input  logic [3:0]              qw,
    input  logic [6:0]              k,
    input  logic [4:0]              n_in,
    input  logic signed [31:0]      woff,
    input  logic [4:0]              shift,
    input  logic                    rounding,
    input  logic                    relu,
    input  logic [1:0]              out_sel,   // 0: 8 bit, 1: 16 bit, 2: 32 bit
    input  logic                    norm_en,
    input  logic                    bias_en,
    // memory write ports
    input  logic                    x_we,
    input  logic [15:0]             x_addr,
    input  logic [LANES*8-1:0]      x_wdata,
    input  logic                    w_we,
    input  logic [15:0]             w_addr,
    input  logic [9*LANES-1:0]      w_wdata,
    input  logic                    p_we,
    input  logic [7:0]              p_addr,
    input  logic [7:0]              p_scale,
    input  logic signed [31:0]      p_bias,
    // control
    input  logic                    start,
    output logic                    busy,
    output logic                    done,
    // output stream
    output logic                    o_valid,
    output logic [255:0]            o_data
);
    localparam int COLS = SIDE * SIDE;
    localparam int R = SIDE + 2;
    localparam int RR = R * R;
    localparam int XDEPTH = NIN_MAX * RR;
    localparam int WDEPTH = NIN_MAX * KMAX * 8;

    typedef enum logic [3:0] {
        S_IDLE, S_LOAD, S_WOFF, S_MV, S_UPD, S_NQM, S_NQB, S_SO
    } state_t;

    logic [LANES*8-1:0] xmem [XDEPTH];
    logic [9*LANES-1:0] wmem [WDEPTH];
    logic [7:0]         scale_m [KMAX];
    logic signed [31:0] bias_m [KMAX];

    logic [7:0]         xbuf [RR][LANES];
    logic signed [31:0] acc [COLS][KMAX];

    state_t      state;
    logic [15:0] cnt;
    logic [4:0]  nin;
    logic [6:0]  kk;     // output channel of the MV phase
    logic [3:0]  bb;     // weight bit of the MV phase
    logic [15:0] pix;    // streamout pixel
    logic [3:0]  beat;   // streamout beat

    // ------------------------------------------------------------------ derived lengths
    logic [6:0]  obits;
    logic [4:0]  bpp;
    logic [15:0] len_load, len_woff, len_mv, len_nqm, len_nqb, len_so, plen;
    always_comb begin
        obits = (out_sel == 2'd0) ? 7'd8 : (out_sel == 2'd1) ? 7'd16 : 7'd32;
        bpp = 5'(((32'(k) * 32'(obits)) + 32'd255) / 32'd256);
        len_load = (mode == 2'd2) ? 16'(10 + COLS) : 16'(6 + RR);
        len_woff = (mode == 2'd1) ? 16'(6 + 32'(k)) : 16'd6;
        len_mv = (mode == 2'd2) ? 16'(6 + 32'(k)) : 16'(6 + 32'(k) * 32'(qw));
        len_nqm = 16'(9 + (32'(k) + 3) / 4);
        len_nqb = 16'(8 + (32'(k) + 7) / 8);
        len_so = 16'(3 + COLS * 32'(bpp) + 1);
        case (state)
            S_LOAD:  plen = len_load;
            S_WOFF:  plen = len_woff;
            S_MV:    plen = len_mv;
            S_UPD:   plen = 16'd2;
            S_NQM:   plen = len_nqm;
            S_NQB:   plen = len_nqb;
            S_SO:    plen = len_so;
            default: plen = 16'd1;
        endcase
    end

    // ------------------------------------------------------------------ datapath (combinational)
    // window pixel of column c and tap t (3x3 / depthwise); 1x1 reads pixel c
    function automatic int wpix(input int c, input int t);
        wpix = ((c / SIDE) + (t / 3)) * R + (c % SIDE) + (t % 3);
    endfunction

    logic [9*LANES-1:0] wword;
    logic [15:0]        waddr;
    logic signed [31:0] mvsum [COLS];    // this cycle's contribution per column
    logic signed [31:0] xsum [COLS];     // weight-offset sums per column
    logic [6:0]         dwch;            // channel of the depthwise weight-offset pass
    always_comb begin
        dwch = 7'(cnt - 16'd6);
        case (mode)
            2'd2:    waddr = 16'(32'(kk) * 32'(n_in) + 32'(nin));
            2'd1:    waddr = 16'(bb);
            default: waddr = 16'((32'(kk) * 32'(n_in) + 32'(nin)) * 32'(qw) + 32'(bb));
        endcase
        wword = wmem[waddr];
        for (int c = 0; c < COLS; c++) begin
            logic [31:0] s;
            logic [31:0] sx;
            s = 32'd0;
            sx = 32'd0;
            if (mode == 2'd2) begin
                for (int b = 0; b < 8; b++) begin
                    logic [31:0] part;
                    part = 32'd0;
                    for (int l = 0; l < LANES; l++)
                        if (wword[b * LANES + l] && (b < 32'(qw))) part += 32'(xbuf[c][l]);
                    s += part << b;
                end
                for (int l = 0; l < LANES; l++) sx += 32'(xbuf[c][l]);
            end else if (mode == 2'd1) begin
                for (int t = 0; t < 9; t++) begin
                    if (32'(kk) < LANES && wword[t * LANES + 32'(kk)])
                        s += 32'(xbuf[wpix(c, t)][kk[4:0]]);
                    if (32'(dwch) < LANES) sx += 32'(xbuf[wpix(c, t)][dwch[4:0]]);
                end
                s = s << bb;
            end else begin
                for (int t = 0; t < 9; t++)
                    for (int l = 0; l < LANES; l++) begin
                        if (wword[t * LANES + l]) s += 32'(xbuf[wpix(c, t)][l]);
                        sx += 32'(xbuf[wpix(c, t)][l]);
                    end
                s = s << bb;
            end
            mvsum[c] = s;
            xsum[c] = sx;
        end
    end

    // final quantisation of one accumulator (after scale and bias)
    function automatic logic [31:0] quant(input logic signed [31:0] a);
        logic signed [32:0] v;
        logic signed [31:0] r;
        logic signed [31:0] hi;
        if (!norm_en) quant = a;
        else begin
            v = 33'(a);
            if (rounding && shift != 5'd0) begin
                v = v + (33'sd1 <<< (shift - 5'd1));
                if (v > 33'sh0_7fff_ffff) v = 33'sh0_7fff_ffff;
            end
            r = v[31:0];
            if (relu && r < 0) r = 32'sd0;
            r = r >>> shift;
            if (relu) begin
                hi = (obits == 7'd32) ? 32'sh7fff_ffff : ((32'sd1 <<< obits) - 32'sd1);
                if (r > hi) r = hi;
            end else begin
                hi = (obits == 7'd32) ? 32'sh7fff_ffff : ((32'sd1 <<< (obits - 7'd1)) - 32'sd1);
                if (r > hi) r = hi;
                if (r < -hi - 32'sd1) r = -hi - 32'sd1;
            end
            quant = r;
        end
    endfunction

    logic [255:0] so_word;
    always_comb begin
        so_word = 256'd0;
        for (int j = 0; j < 32; j++) begin
            int ch;
            logic [31:0] q;
            ch = 32'(beat) * (256 / 32'(obits)) + j;
            q = 32'd0;
            if (j < 256 / 32'(obits) && ch < 32'(k) && ch < KMAX && pix < COLS)
                q = quant(acc[pix][ch]);
            if (j < 256 / 32'(obits)) begin
                if (obits == 7'd8) so_word[j * 8 +: 8] = q[7:0];
                else if (obits == 7'd16) so_word[j * 16 +: 16] = q[15:0];
                else if (j < 8) so_word[j * 32 +: 32] = q;
            end
        end
    end

    // ------------------------------------------------------------------ memories
    always_ff @(posedge clk) begin
        if (x_we) xmem[x_addr] <= x_wdata;
        if (w_we) wmem[w_addr] <= w_wdata;
        if (p_we) begin
            scale_m[p_addr] <= p_scale;
            bias_m[p_addr] <= p_bias;
        end
    end

    // ------------------------------------------------------------------ control + accumulators
    logic last;
    assign last = (cnt == plen - 16'd1);
    assign busy = (state != S_IDLE);

    always_ff @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state <= S_IDLE;
            cnt <= '0;
            nin <= '0;
            kk <= '0;
            bb <= '0;
            pix <= '0;
            beat <= '0;
            done <= 1'b0;
            o_valid <= 1'b0;
            o_data <= '0;
        end else begin
            done <= 1'b0;
            o_valid <= 1'b0;
            cnt <= last ? 16'd0 : cnt + 16'd1;
            case (state)
                S_IDLE: begin
                    cnt <= '0;
                    if (start) begin
                        state <= S_LOAD;
                        nin <= '0;
                        for (int c = 0; c < COLS; c++)
                            for (int q = 0; q < KMAX; q++) acc[c][q] <= 32'sd0;
                    end
                end
                S_LOAD: begin
                    int lat;
                    int p;
                    lat = (mode == 2'd2) ? 10 : 6;
                    p = 32'(cnt) - lat;
                    if (32'(cnt) >= lat && p < RR)
                        for (int l = 0; l < LANES; l++)
                            xbuf[p][l] <= xmem[32'(nin) * RR + p][l * 8 +: 8];
                    if (last) begin
                        state <= S_WOFF;
                    end
                end
                S_WOFF: begin
                    if (mode == 2'd1) begin
                        if (cnt >= 16'd6)
                            for (int c = 0; c < COLS; c++)
                                acc[c][dwch] <= acc[c][dwch] + woff * xsum[c];
                    end else if (cnt == 16'd5) begin
                        for (int c = 0; c < COLS; c++)
                            for (int q = 0; q < KMAX; q++)
                                if (q < 32'(k)) acc[c][q] <= acc[c][q] + woff * xsum[c];
                    end
                    if (last) begin
                        state <= S_MV;
                        kk <= '0;
                        bb <= '0;
                    end
                end
                S_MV: begin
                    if (cnt >= 16'd6) begin
                        for (int c = 0; c < COLS; c++) acc[c][kk] <= acc[c][kk] + mvsum[c];
                        if (mode == 2'd2 || bb == qw - 4'd1) begin
                            bb <= '0;
                            kk <= kk + 7'd1;
                        end else begin
                            bb <= bb + 4'd1;
                        end
                    end
                    if (last) state <= S_UPD;
                end
                S_UPD: begin
                    if (last) begin
                        if (nin == n_in - 5'd1) begin
                            state <= norm_en ? S_NQM : S_SO;
                            pix <= '0;
                            beat <= '0;
                        end else begin
                            nin <= nin + 5'd1;
                            state <= S_LOAD;
                        end
                    end
                end
                S_NQM: begin
                    if (cnt >= 16'd9)
                        for (int j = 0; j < 4; j++) begin
                            int ch;
                            ch = (32'(cnt) - 9) * 4 + j;
                            if (ch < 32'(k) && ch < KMAX)
                                for (int c = 0; c < COLS; c++)
                                    acc[c][ch] <= acc[c][ch] * $signed({24'd0, scale_m[ch]});
                        end
                    if (last) state <= bias_en ? S_NQB : S_SO;
                end
                S_NQB: begin
                    if (cnt >= 16'd8)
                        for (int j = 0; j < 8; j++) begin
                            int ch;
                            ch = (32'(cnt) - 8) * 8 + j;
                            if (ch < 32'(k) && ch < KMAX)
                                for (int c = 0; c < COLS; c++) begin
                                    logic signed [32:0] sum;
                                    sum = 33'(acc[c][ch]) + 33'(bias_m[ch]);
                                    if (sum > 33'sh0_7fff_ffff) acc[c][ch] <= 32'sh7fff_ffff;
                                    else if (sum < -33'sh0_8000_0000) acc[c][ch] <= 32'sh8000_0000;
                                    else acc[c][ch] <= sum[31:0];
                                end
                        end
                    if (last) state <= S_SO;
                end
                S_SO: begin
                    if (cnt >= 16'd3 && pix < COLS) begin
                        o_valid <= 1'b1;
                        o_data <= so_word;
                        if (beat == 4'(bpp - 5'd1)) begin
                            beat <= '0;
                            pix <= pix + 16'd1;
                        end else begin
                            beat <= beat + 4'd1;
                        end
                    end
                    if (last) begin
                        done <= 1'b1;  // visible right after the job's last cycle
                        state <= S_IDLE;
                    end
                end
                default: state <= S_IDLE;
            endcase
        end
    end
endmodule
